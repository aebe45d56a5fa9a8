"""The dashboard's snapshot of a large region's cycle figures: read while it
is of today, young enough and not overtaken by a bulk change; recounted
otherwise; small regions always counted live. ``worklist_world``'s 广州 has 11
pensions and 深圳 2, so a threshold of 11 makes 广州 "large" and 深圳 not."""

import datetime
import io

import pytest
import time_machine
from django.conf import settings
from django.core.management import call_command
from django.test import override_settings
from django.urls import reverse

from lifecert.accounts.models import UnitBinding
from lifecert.backoffice import dashboard_figures
from lifecert.backoffice.models import DashboardSnapshot
from lifecert.certification.services import record_certification, suspend_overdue
from lifecert.demo.testing import make_certification
from lifecert.employer.models import Commitment
from lifecert.employer.services import certify_pensioners
from lifecert.registry.models import Region

from . import worklist_world
from .worklist_world import NOW

pytestmark = pytest.mark.django_db
INDEX = reverse("backoffice:index")
LARGE_GZ = override_settings(
    DASHBOARD_SNAPSHOT_MIN_PENSIONS=11, DASHBOARD_SNAPSHOT_SECONDS=600
)


@pytest.fixture
def world(personas):
    with time_machine.travel(NOW, tick=False):
        return worklist_world.build(personas)


def _figures(client):
    context = client.get(INDEX).context
    return context["overdue"], context["due_soon"], context["counted_at"]


def _certify_quietly(world, name="甲到期"):
    """A certification written straight to the tables: no audited bulk change."""
    make_certification(world.by_name[name])


@LARGE_GZ
def test_a_large_region_reads_its_snapshot_until_it_is_too_old(client, world):
    client.force_login(world.personas.staff)
    with time_machine.travel(NOW, tick=False):
        assert _figures(client) == (1, 2, NOW)
        assert DashboardSnapshot.objects.get().region == world.personas.region
        assert client.get(INDEX).context["this_month"] == 2
        _certify_quietly(world)  # 甲到期 is no longer due soon
        assert _figures(client) == (1, 2, NOW)  # the snapshot, with its time
        assert client.get(INDEX).context["this_month"] == 2
        page = client.get(INDEX).content.decode()
        assert "统计于 2026-11-05 10:00" in page
    later = NOW + datetime.timedelta(seconds=599)
    with time_machine.travel(later, tick=False):
        assert _figures(client) == (1, 2, NOW)
    later = NOW + datetime.timedelta(seconds=601)
    with time_machine.travel(later, tick=False):
        assert _figures(client) == (1, 1, later)  # counted again, and kept
        assert client.get(INDEX).context["this_month"] == 3
        assert DashboardSnapshot.objects.get().computed_at == later


@LARGE_GZ
def test_a_bulk_change_has_the_region_counted_again_at_once(client, world):
    client.force_login(world.personas.staff)
    with time_machine.travel(NOW, tick=False):
        assert _figures(client)[0] == 1
    with time_machine.travel(NOW + datetime.timedelta(seconds=5), tick=False):
        staff = world.personas.staff
        assert suspend_overdue(acting_user=staff, region=world.personas.region) == 1
        assert _figures(client)[0] == 0  # the run is in the audit log


@LARGE_GZ
def test_a_province_wide_run_has_every_region_counted_again(client, world):
    client.force_login(world.province)
    with time_machine.travel(NOW, tick=False):
        assert _figures(client)[0] == 2  # 杨书维 (广州), 深逾期 (深圳)
    with time_machine.travel(NOW + datetime.timedelta(seconds=5), tick=False):
        assert suspend_overdue(acting_user=world.province) == 2
        assert _figures(client)[0] == 0


@LARGE_GZ
def test_certifications_show_when_the_snapshot_is_counted_again(client, world):
    client.force_login(world.personas.staff)
    with time_machine.travel(NOW, tick=False):
        assert _figures(client)[1] == 2
    with time_machine.travel(NOW + datetime.timedelta(seconds=5), tick=False):
        record_certification(
            entitlement=world.by_name["甲到期"],
            channel="counter",
            acting_user=world.personas.staff,
        )
        assert _figures(client)[1] == 2  # the snapshot, within its age
        unit_user, unit = world.personas.unit_user, world.personas.unit
        Commitment.objects.create(
            account=unit_user,
            unit=unit,
            operator_name="王经办",
            version=settings.COMMITMENT_LETTER_VERSION,
        )
        certify_pensioners(
            acting_user=unit_user,
            binding=UnitBinding.objects.get(account=unit_user, unit=unit),
            entitlement_ids=[world.by_name["乙当天"].public_id],
        )
        assert _figures(client)[1] == 2  # a unit's list too: no bulk change
    with time_machine.travel(NOW + datetime.timedelta(seconds=601), tick=False):
        assert _figures(client)[1] == 0  # both, once the snapshot is too old


@LARGE_GZ
@override_settings(DASHBOARD_SNAPSHOT_SECONDS=2 * 86400)
def test_a_new_day_is_counted_again(client, world):
    client.force_login(world.personas.staff)
    with time_machine.travel(NOW, tick=False):
        assert _figures(client)[:2] == (1, 2)
    # 乙当天 falls due on 5 November: on the 6th it is overdue, whatever the
    # snapshot of the 5th (14 hours old, within its age here) said.
    tomorrow = worklist_world.at(2026, 11, 6, 0, 1)
    with time_machine.travel(tomorrow, tick=False):
        assert _figures(client)[:2] == (2, 1)


@LARGE_GZ
def test_small_regions_are_counted_live_beside_a_snapshot(client, world):
    client.force_login(world.province)
    with time_machine.travel(NOW, tick=False):
        assert _figures(client)[0] == 2
        # Only 广州 (11 pensions) is kept; 深圳 (2) is counted every time.
        assert [s.region.code for s in DashboardSnapshot.objects.all()] == ["440100"]
        sz = world.by_name["深逾期"]
        make_certification(sz)
        assert _figures(client)[0] == 1
        make_certification(world.personas.entitlement)  # 广州, from the snapshot
        assert _figures(client)[0] == 1


def test_by_default_the_test_world_is_counted_live(client, world):
    client.force_login(world.personas.staff)
    with time_machine.travel(NOW, tick=False):
        assert _figures(client) == (1, 2, NOW)
        _certify_quietly(world)
        assert _figures(client)[1] == 1
    assert not DashboardSnapshot.objects.exists()


@LARGE_GZ
def test_refresh_dashboard_counts_every_region_for_the_page(client, world):
    out = io.StringIO()
    with time_machine.travel(NOW, tick=False):
        call_command("refresh_dashboard", stdout=out)
    assert "已重新统计 2 个参保地的首页数据" in out.getvalue()
    snapshots = {s.region.code: s for s in DashboardSnapshot.objects.all()}
    assert snapshots["440100"].figures["overdue"] == 1
    assert snapshots["440100"].figures["by_month"][3] == 1  # 丙三月, 2026-03
    assert snapshots["440300"].figures["normal"] == 2
    client.force_login(world.personas.staff)
    with time_machine.travel(NOW + datetime.timedelta(minutes=3), tick=False):
        _certify_quietly(world)
        assert _figures(client) == (1, 2, NOW)  # the command's count


def _shown(context):
    charts = [
        [bar.cells and [c.text for c in bar.cells] for bar in chart.bars]
        for chart in context["charts"]
    ]
    keys = ("by_status", "overdue", "due_soon", "this_month", "open_reviews")
    return [context[key] for key in keys], charts


@LARGE_GZ
def test_the_snapshot_gives_the_same_page_as_the_count(client, world):
    client.force_login(world.province)
    with time_machine.travel(NOW, tick=False):
        counted = client.get(INDEX).context
        read = client.get(INDEX).context
    assert DashboardSnapshot.objects.count() == 1
    assert _shown(counted) == _shown(read)
    figures, _ = dashboard_figures.region_figures(Region.objects.all(), NOW.date())
    assert [f.region.code for f in figures] == ["440100", "440300"]


@LARGE_GZ
def test_a_snapshot_of_other_figures_is_counted_again(client, world):
    """A row kept by older code (no channels then) is replaced, never read."""
    client.force_login(world.personas.staff)
    with time_machine.travel(NOW, tick=False):
        call_command("refresh_dashboard", stdout=io.StringIO())
        snapshot = DashboardSnapshot.objects.get(region=world.personas.region)
        del snapshot.figures["channels"]
        snapshot.figures["overdue"] = 99
        snapshot.save()
        assert _figures(client)[0] == 1
        snapshot.refresh_from_db()
        assert set(snapshot.figures) == dashboard_figures.STORED
