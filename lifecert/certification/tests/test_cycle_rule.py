"""The cycle rule: Python and SQL agree, at the edges and on random dates."""

import calendar
import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from lifecert.certification import cycle
from lifecert.certification.cycle import add_months, base_cutoff, due_date
from lifecert.certification.services import suspend_overdue
from lifecert.demo.testing import make_certification, make_entitlement
from lifecert.registry.models import Entitlement

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")
D = datetime.date
NORMAL = Entitlement.Status.NORMAL


def _at(*args: int) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=SHANGHAI)


def _overdue_pks(today: datetime.date) -> set[int]:
    return set(
        cycle.overdue(Entitlement.objects.all(), today).values_list("pk", flat=True)
    )


# Plain dates.


def test_add_months_clamps_to_the_month_end():
    assert add_months(D(2025, 1, 31), 1) == D(2025, 2, 28)
    assert add_months(D(2024, 1, 31), 1) == D(2024, 2, 29)
    assert add_months(D(2024, 2, 29), 12) == D(2025, 2, 28)
    assert add_months(D(2024, 2, 29), 48) == D(2028, 2, 29)
    assert add_months(D(2025, 3, 31), -13) == D(2024, 2, 29)


def test_due_date_runs_from_the_last_certification_or_else_the_start():
    assert due_date(D(2025, 6, 10), D(2015, 1, 1), 12) == D(2026, 6, 10)
    assert due_date(None, D(2024, 2, 29), 12) == D(2025, 2, 28)
    assert due_date(None, D(2024, 8, 31), 6) == D(2025, 2, 28)


def test_due_date_follows_the_setting(settings):
    settings.CERT_CYCLE_MONTHS = 6
    assert due_date(D(2025, 6, 10), D(2015, 1, 1)) == D(2025, 12, 10)


def test_base_cutoff_moves_past_a_shorter_month():
    # Due 28 Feb 2024 is overdue on 29 Feb 2024; going back 12 months from
    # 29 Feb lands on 28 Feb 2023, which must therefore be before the cutoff.
    assert base_cutoff(D(2024, 2, 29), 12) == D(2023, 3, 1)
    assert base_cutoff(D(2025, 3, 31), 1) == D(2025, 3, 1)
    assert base_cutoff(D(2025, 3, 15), 12) == D(2024, 3, 15)


def test_base_cutoff_is_exact_against_every_base_in_four_years():
    bases = [D(2022, 1, 1) + datetime.timedelta(days=i) for i in range(4 * 366)]
    for months in (1, 11, 12, 13):
        for today in (D(2024, 2, 29), D(2025, 3, 31), D(2025, 3, 1), D(2024, 12, 31)):
            cutoff = base_cutoff(today, months)
            for base in bases:
                assert (due_date(base, base, months) < today) == (base < cutoff)


# The edges, in Python, in SQL and in the suspension run.


@pytest.mark.parametrize(
    ("certified", "last_in_time", "first_late"),
    [
        # Certified on 31 January: month 12 ends on 31 January a year on.
        (_at(2025, 1, 31, 23, 30), D(2026, 1, 31), D(2026, 2, 1)),
        (_at(2025, 3, 15, 9), D(2026, 3, 15), D(2026, 3, 16)),
        # 29 February: due on 28 February, late on 1 March.
        (_at(2024, 2, 29, 10), D(2025, 2, 28), D(2025, 3, 1)),
        # 28 February 2023 is late on 29 February 2024 (the old SQL said not).
        (_at(2023, 2, 28, 10), D(2024, 2, 28), D(2024, 2, 29)),
        # 04:00 on 1 February in Guangdong is still 31 January in UTC.
        (_at(2025, 2, 1, 4), D(2026, 2, 1), D(2026, 2, 2)),
    ],
)
def test_the_last_day_in_time_is_not_overdue_and_the_next_day_is(
    certified, last_in_time, first_late
):
    certified_ent = make_entitlement()
    make_certification(certified_ent, certified_at=certified)
    never = make_entitlement(start_date=timezone.localdate(certified))
    certified_ent.refresh_from_db()
    for entitlement in (certified_ent, never):
        assert cycle.due_date_of(entitlement) == last_in_time
        assert cycle.overdue_since(entitlement) == first_late
    assert _overdue_pks(last_in_time) == set()
    assert _overdue_pks(first_late) == {certified_ent.pk, never.pk}
    for pks, day in ((set(), last_in_time), ({certified_ent.pk, never.pk}, first_late)):
        got = cycle.due_on_or_before(
            Entitlement.objects.all(), day - datetime.timedelta(1)
        )
        assert set(got.values_list("pk", flat=True)) == pks
    soon = cycle.due_within(Entitlement.objects.all(), 0, last_in_time)
    assert set(soon.values_list("pk", flat=True)) == {certified_ent.pk, never.pk}


def test_the_suspension_run_stops_on_the_first_local_day_after_the_due_date(personas):
    ent = personas.entitlement
    make_certification(ent, certified_at=_at(2025, 1, 31, 23, 30))
    staff = personas.staff
    # 23:59 on 31 January 2026 in Guangdong: still in time.
    assert suspend_overdue(acting_user=staff, now=_at(2026, 1, 31, 23, 59)) == 0
    # 00:30 on 1 February in Guangdong (16:30 UTC the day before): late.
    assert suspend_overdue(acting_user=staff, now=_at(2026, 2, 1, 0, 30)) == 1
    ent.refresh_from_db()
    assert ent.status == Entitlement.Status.SUSPENDED
    assert ent.status_since == D(2026, 2, 1)


def test_overdue_and_due_soon_leave_out_suspended_and_terminated():
    for status in Entitlement.Status.values:
        make_entitlement(status=status, start_date=D(2015, 1, 1))
        make_entitlement(status=status, start_date=D(2025, 12, 20))
    today = D(2026, 12, 1)
    overdue = cycle.overdue(Entitlement.objects.all(), today)
    assert [e.status for e in overdue] == [NORMAL]
    soon = cycle.due_within(Entitlement.objects.all(), 30, today)
    assert [(e.status, e.start_date) for e in soon] == [(NORMAL, D(2025, 12, 20))]


# Random dates: the SQL rule picks exactly what the Python rule says.

_DAYS = st.one_of(st.integers(1, 31), st.sampled_from([1, 28, 29, 30, 31]))
_TIMES = st.one_of(
    st.sampled_from(
        [
            datetime.time(0, 0),
            datetime.time(0, 30),
            datetime.time(7, 59, 59),  # 23:59:59 UTC the day before
            datetime.time(8, 0),
            datetime.time(23, 59, 59, 999999),
        ]
    ),
    st.times(),
)


def _day(year: int, month_index: int, day: int) -> datetime.date:
    """Day ``day`` (or the last) of month ``month_index`` (0-based) of ``year``."""
    year, month = year + month_index // 12, month_index % 12 + 1
    return D(year, month, min(day, calendar.monthrange(year, month)[1]))


@st.composite
def _today(draw: st.DrawFn) -> datetime.date:
    # 2024 and 2028 are leap years; 29 February and the 31sts after a shorter
    # month are where going back by whole months is clamped.
    if draw(st.integers(0, 3)) == 0:
        return draw(st.sampled_from([D(2024, 2, 29), D(2028, 2, 29), D(2025, 3, 31)]))
    year = draw(st.sampled_from([2024, 2025, 2026, 2027, 2028]))
    return _day(year, draw(st.integers(0, 11)), draw(_DAYS))


@st.composite
def _row(draw: st.DrawFn, today: datetime.date, months: int) -> dict:
    # A base within a month or so of the cutoff, often on a month's last days.
    back = add_months(today, -months)
    base = _day(back.year, back.month - 1 + draw(st.integers(-1, 1)), draw(_DAYS))
    base += datetime.timedelta(days=draw(st.sampled_from([0, 0, 0, -1, 1])))
    status = draw(st.sampled_from([NORMAL, NORMAL, NORMAL, "suspended", "terminated"]))
    if draw(st.booleans()):
        return {"status": status, "start_date": base, "last_certified_at": None}
    local = datetime.datetime.combine(base, draw(_TIMES), tzinfo=SHANGHAI)
    return {
        "status": status,
        "start_date": D(2010, 1, 1),
        "last_certified_at": local.astimezone(datetime.UTC),
    }


@st.composite
def _case(draw: st.DrawFn, months: int) -> tuple[datetime.date, list[dict], int]:
    today = draw(_today())
    rows = draw(st.lists(_row(today, months), min_size=1, max_size=12))
    return today, rows, draw(st.integers(0, 45))


POOL = 12


@pytest.fixture
def pool(db):
    return [make_entitlement().pk for _ in range(POOL)]


@pytest.mark.parametrize("months", [12, 11])
@hypothesis_settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(data=st.data())
def test_sql_and_python_rules_agree_on_random_dates(pool, settings, months, data):
    settings.CERT_CYCLE_MONTHS = months  # the functions read it, as in production
    today, rows, days = data.draw(_case(months))
    with transaction.atomic():
        entitlements = list(Entitlement.objects.filter(pk__in=pool).order_by("pk"))
        for entitlement, row in zip(entitlements, rows, strict=False):
            for field, value in row.items():
                setattr(entitlement, field, value)
        fields = ["status", "start_date", "last_certified_at"]
        Entitlement.objects.bulk_update(entitlements[: len(rows)], fields)
        Entitlement.objects.filter(pk__in=pool[len(rows) :]).update(
            status=Entitlement.Status.TERMINATED
        )
        stored = list(Entitlement.objects.filter(pk__in=pool))

        def due(e: Entitlement) -> datetime.date:
            last = e.last_certified_at
            return due_date(
                None if last is None else last.astimezone(SHANGHAI).date(),
                e.start_date,
            )

        normal = [e for e in stored if e.status == NORMAL]
        horizon = today + datetime.timedelta(days=days)
        expected = {
            "overdue": {e.pk for e in normal if due(e) < today},
            "due_on_or_before": {e.pk for e in normal if due(e) <= today},
            "due_within": {e.pk for e in normal if today <= due(e) <= horizon},
        }
        every = Entitlement.objects.filter(pk__in=pool)
        got = {
            "overdue": cycle.overdue(every, today),
            "due_on_or_before": cycle.due_on_or_before(every, today),
            "due_within": cycle.due_within(every, days, today),
        }
        got_pks = {k: set(q.values_list("pk", flat=True)) for k, q in got.items()}
        assert got_pks == expected, (today, months, days, rows)
        for e in stored:
            assert cycle.due_date_of(e) == (
                None if e.status == Entitlement.Status.TERMINATED else due(e)
            )
        transaction.set_rollback(True)


# The dashboard counts with the same rule, in local time.

INDEX = reverse("backoffice:index")


@time_machine.travel(_at(2026, 12, 1, 10), tick=False)
def test_dashboard_overdue_counts_the_never_certified_and_equals_the_run(
    client, personas
):
    # personas.entitlement: never certified, pension since 2015.
    late = make_entitlement(region=personas.region)
    make_certification(late, certified_at=_at(2025, 11, 30, 9))
    in_time = make_entitlement(region=personas.region)
    make_certification(in_time, certified_at=_at(2025, 12, 1, 18))
    make_entitlement(region=personas.region, start_date=D(2025, 12, 25))
    make_entitlement(region=personas.other_region)  # not this staff's
    client.force_login(personas.staff)
    context = client.get(INDEX).context
    assert context["overdue"] == 2
    assert context["due_soon"] == 2  # due on 1 and on 25 December
    assert suspend_overdue(acting_user=personas.staff, region=personas.region) == 2
    assert client.get(INDEX).context["overdue"] == 0


@time_machine.travel(_at(2026, 12, 1, 10), tick=False)
def test_dashboard_this_month_starts_at_local_midnight(client, personas):
    ent = personas.entitlement
    # 00:30 on 1 December in Beijing is 16:30 UTC on 30 November.
    make_certification(ent, certified_at=_at(2026, 12, 1, 0, 30))
    make_certification(ent, certified_at=_at(2026, 11, 30, 23, 30))
    client.force_login(personas.staff)
    assert client.get(INDEX).context["this_month"] == 1


def test_dashboard_query_count_is_bounded(
    client, personas, django_assert_max_num_queries
):
    client.force_login(personas.staff)
    # Ten, and one each for back pay this month, overpayments and open cases.
    with django_assert_max_num_queries(12):
        assert client.get(INDEX).status_code == 200
