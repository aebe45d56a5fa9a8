"""The indexes the dashboard, the suspension preview and the 补发清单 rely on,
as SQLite plans them (its plans do not depend on table size without ANALYZE
statistics; PostgreSQL's do, so its plans at a million rows are checked by
EXPLAIN in docs/benchmarks.md instead)."""

import datetime

import pytest
from django.db import connection

from lifecert.backoffice import dashboard_figures
from lifecert.certification import cycle
from lifecert.certification.models import BackPay
from lifecert.certification.services import suspension_preview
from lifecert.registry.models import Entitlement

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "sqlite", reason="SQLite's plans; PostgreSQL's by EXPLAIN"
    ),
]
TODAY = datetime.date(2026, 12, 3)


def test_each_part_of_the_normal_pensions_is_a_range_of_the_region_cycle_index(
    personas,
):
    parts = cycle.normal_by_last_certification(dashboard_figures.month_firsts(TODAY))
    for part in parts:
        rows = Entitlement.objects.filter(part, region=personas.region)
        plan = rows.order_by().values("pk").explain()
        assert "entitlement_region_cycle" in plan, (part, plan)


def test_the_suspension_preview_is_two_ranges_of_the_normal_due_index():
    plan = suspension_preview(None, TODAY).order_by().values("pk").explain()
    assert plan.count("entitlement_normal_due") == 2, plan


def test_the_back_pay_list_walks_its_created_index():
    assert "backpay_created" in BackPay.objects.order_by("-created_at")[:10].explain()
    month = BackPay.objects.filter(
        created_at__gte=cycle.local_midnight(TODAY.replace(day=1))
    )
    assert "backpay_created" in month.explain()
