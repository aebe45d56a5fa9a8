"""The dashboard: figures against the hand-built world of ``worklist_world``,
every figure a link to a list of as many rows, charts with their tables."""

import html
import re

import pytest
import time_machine
from django.urls import reverse

from lifecert.backoffice import charts, dashboard_figures
from lifecert.certification import cycle
from lifecert.certification.models import Channel
from lifecert.registry.models import Entitlement

from . import worklist_world
from .worklist_world import NOW

pytestmark = pytest.mark.django_db
INDEX = reverse("backoffice:index")
FIGURE = re.compile(r'<a class="figure"[^>]*href="([^"]+)">(\d+)')


@pytest.fixture
def world(personas):
    return worklist_world.build(personas)


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(NOW, tick=False):
        yield


def _chart(context, key):
    return next(chart for chart in context["charts"] if chart.key == key)


def _texts(chart):
    return [(bar.label, bar.text) for bar in chart.bars]


def test_the_figures_of_one_region(client, world):
    client.force_login(world.personas.staff)
    context = client.get(INDEX).context
    assert [(label, n) for label, n, _ in context["by_status"]] == [
        ("正常", 8),
        ("暂停", 1),
        ("终止", 2),
    ]
    assert (context["due_soon"], context["overdue"]) == (2, 1)
    assert context["this_month"] == 2  # 丁月初 at 00:30 local on the 1st, 己比对
    assert (context["open_reviews"], context["open_cases"]) == (3, 1)
    assert context["pending_overpayments"]["n"] == 1


def test_the_charts_of_one_region(client, world):
    client.force_login(world.personas.staff)
    context = client.get(INDEX).context
    # 7 of 9 live pensions (8 normal, 1 suspended) in time: 杨书维 is overdue.
    assert _texts(_chart(context, "region")) == [("广州市", "77.8%")]
    months = {bar.label: bar.cells[1].text for bar in _chart(context, "month").bars}
    assert next(iter(months)) == "2025-12"
    assert list(months)[-1] == "2026-11"
    assert (months["2026-03"], months["2026-10"], months["2026-11"]) == ("1", "1", "2")
    assert sum(int(n) for n in months.values()) == 4
    channels = {bar.label: bar.cells[1].text for bar in _chart(context, "channel").bars}
    assert channels["窗口"] == "1"
    assert channels["数据比对"] == "1"
    assert channels["单位代认证"] == "0"  # 癸故去 was certified in October
    reviews = [bar.text for bar in _chart(context, "reviews").bars]
    assert reviews == ["1", "0", "1", "1"]


def test_the_province_sees_every_region(client, world):
    client.force_login(world.province)
    context = client.get(INDEX).context
    assert _texts(_chart(context, "region")) == [
        ("广州市", "77.8%"),
        ("深圳市", "50.0%"),
    ]
    months = {bar.label: bar for bar in _chart(context, "month").bars}
    assert months["2026-03"].cells[1].text == "2"
    assert months["2026-03"].text == "18.2%"  # 2 of 11 live pensions
    assert (context["overdue"], context["due_soon"]) == (2, 2)
    assert context["open_reviews"] == 4


def test_another_regions_staff_see_none_of_it(client, world):
    client.force_login(world.personas.outsider_staff)
    context = client.get(INDEX).context
    assert _texts(_chart(context, "region")) == [("深圳市", "50.0%")]
    assert (context["overdue"], context["due_soon"], context["this_month"]) == (1, 0, 0)
    assert context["open_cases"] == 0


@pytest.mark.parametrize(
    ("who", "regions"), [("staff", 1), ("outsider_staff", 1), ("province", 2)]
)
def test_every_figure_links_to_a_list_that_counts_the_same(client, world, who, regions):
    user = world.province if who == "province" else getattr(world.personas, who)
    client.force_login(user)
    page = client.get(INDEX).content.decode()
    figures = FIGURE.findall(page)
    # 10 cards; per region 正常, 逾期, 暂停; 12 months, every channel, 4 ages.
    assert len(figures) == 10 + 3 * regions + 12 + len(Channel.choices) + 4
    for href, figure in figures:
        response = client.get(html.unescape(href))
        assert response.status_code == 200, href
        assert response.context["pager"].total == int(figure), href


def test_the_charts_are_svg_with_a_table_beside_each(client, world):
    client.force_login(world.personas.staff)
    page = client.get(INDEX).content.decode()
    assert page.count("<svg") == 4
    assert page.count('class="grid chart-table"') == 4
    assert "<caption>" in page
    assert "style=" not in page.split("<svg", 1)[1]  # django-csp: no inline style
    assert not re.search(r"<script(?![^>]*\bsrc=)", page)  # no inline script


def test_the_cycle_counts_in_parts_agree_with_the_lists(world):
    """The dashboard's disjoint parts add up to the cycle's own querysets."""
    entitlements = Entitlement.objects.all()
    for day in [NOW.date(), NOW.date().replace(day=20), NOW.date().replace(month=12)]:
        for parts, whole in [
            (cycle.overdue_parts(day), cycle.overdue(entitlements, day)),
            (
                cycle.due_within_parts(30, day),
                cycle.due_within(entitlements, 30, day),
            ),
        ]:
            first, second = (entitlements.filter(part) for part in parts)
            assert not first.filter(pk__in=second.values("pk")).exists()
            assert first.count() + second.count() == whole.count()
    parts = cycle.normal_by_last_certification(
        dashboard_figures.month_firsts(NOW.date())
    )
    counts = [entitlements.filter(part).count() for part in parts]
    assert sum(counts) == entitlements.filter(status="normal").count()


def test_shares_and_bar_lengths():
    assert charts.share_text(1, 3) == "33.3%"
    assert charts.share_text(0, 0) == "-"
    chart = charts.bar_chart(
        key="k",
        title="t",
        summary="s",
        headers=("a",),
        rows=[("x", 1.5, "150%", "/x", ()), ("y", -1, "", "/y", ())],
    )
    assert [bar.width for bar in chart.bars] == [str(charts.BAR_WIDTH) + ".0", "0.0"]
    assert chart.height == str(charts.TOP * 2 + charts.ROW_HEIGHT * 2)
    empty = charts.bar_chart(key="e", title="t", summary="s", headers=(), rows=[])
    assert empty.height == str(charts.TOP * 2 + charts.ROW_HEIGHT)
