"""The back office's dashboard: figures that link to their lists, and charts.

Every figure counts what its list shows (the list's own query, or the cycle's
conditions in ``certification.cycle``), for the staff user's regions, in local
time. The cycle's figures per region (status, overdue, due soon, the months)
come from ``dashboard_figures``: index ranges counted live, or for a large
region a snapshot of them, with the time they were counted shown on the page.
"""

import datetime
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.db.models import Count, Q, Sum
from django.urls import reverse
from django.utils import timezone

from lifecert.certification.models import Channel, Overpayment
from lifecert.registry.access import staff_regions
from lifecert.registry.models import Entitlement

from . import lists
from .charts import BarChart, Cell, bar_chart, share_text
from .dashboard_figures import MONTHS, RegionFigures, month_firsts, region_figures

# 人工审核 waiting: (label, oldest age in days, youngest age in days or None).
REVIEW_AGES = [
    ("0–1 天", 1, 0),
    ("2–7 天", 7, 2),
    ("8–30 天", 30, 8),
    ("30 天以上", None, 31),
]


def link(name: str, **params: Any) -> str:
    query = urlencode({k: v for k, v in params.items() if v not in (None, "")})
    return reverse(f"backoffice:{name}") + (f"?{query}" if query else "")


def region_chart(figures: list[RegionFigures]) -> BarChart:
    rows = []
    for item in figures:
        code = item.region.code
        live = item.normal + item.suspended
        current = item.normal - item.overdue
        text = share_text(current, live)
        normal = link("entitlement-list", region=code, status="normal")
        suspended = link("entitlement-list", region=code, status="suspended")
        rows.append(
            (
                item.region.name,
                current / live if live else 0.0,
                text,
                normal,
                (
                    Cell(item.region.name),
                    Cell(str(item.normal), normal),
                    Cell(str(item.overdue), link("overdue-list", region=code)),
                    Cell(str(item.suspended), suspended),
                    Cell(text),
                ),
            )
        )
    return bar_chart(
        key="region",
        title="各参保地认证有效率",
        summary="在册待遇（正常与暂停）中认证仍在有效期内的比例，按参保地",
        headers=("参保地", "正常", "其中已逾期", "暂停", "认证有效率"),
        rows=rows,
    )


def month_chart(figures: list[RegionFigures], today: datetime.date) -> BarChart:
    live = sum(item.normal + item.suspended for item in figures)
    firsts = month_firsts(today)[:MONTHS]
    rows = []
    for index, first in enumerate(firsts):
        count = sum(item.by_month[index] for item in figures)
        url = link("entitlement-list", status="normal", certified=f"{first:%Y-%m}")
        text = share_text(count, live)
        rows.append(
            (
                f"{first:%Y-%m}",
                count / live if live else 0.0,
                text,
                url,
                (Cell(f"{first:%Y年%m月}"), Cell(str(count), url), Cell(text)),
            )
        )
    return bar_chart(
        key="month",
        title="近 12 个月认证情况",
        summary="在册待遇中，最近一次认证在该月的人数及占比，按月",
        headers=("月份", "最近一次认证在该月（正常待遇）", "占在册比例"),
        rows=rows,
    )


def channel_chart(
    figures: list[RegionFigures], first: datetime.date
) -> tuple[BarChart, int]:
    """This month's certifications by channel, and their total."""
    counts: dict[str, int] = {}
    for item in figures:
        for channel, count in item.channels.items():
            counts[channel] = counts.get(channel, 0) + count
    total = sum(counts.values())
    rows = []
    for value, label in Channel.choices:
        count = counts.get(value, 0)
        url = link("certification-list", channel=value, date_from=first.isoformat())
        text = share_text(count, total)
        rows.append(
            (
                str(label),
                count / total if total else 0.0,
                text,
                url,
                (Cell(str(label)), Cell(str(count), url), Cell(text)),
            )
        )
    chart = bar_chart(
        key="channel",
        title="本月认证方式",
        summary="本月各认证方式的认证次数及占比",
        headers=("认证方式", "次数", "占比"),
        rows=rows,
    )
    return chart, total


def review_chart(user: Any, today: datetime.date) -> tuple[BarChart, int]:
    """Open 人工审核 cases by how long they have waited (local days)."""
    keyed: list[tuple[str, str, str]] = []
    counts: dict[str, Count] = {}
    for index, (label, oldest, youngest) in enumerate(REVIEW_AGES):
        start = today - datetime.timedelta(days=oldest) if oldest else None
        end = today - datetime.timedelta(days=youngest)
        # The case list's own date range (local days), counted in one query.
        days = lists.between(
            "created_at", {"date_from": start, "date_to": end}, instant=True
        )
        counts[f"a{index}"] = Count("pk", filter=Q(**days))
        url = link(
            "case-list",
            kind="review",
            date_from=start.isoformat() if start else "",
            date_to=end.isoformat(),
        )
        keyed.append((label, url, f"a{index}"))
    waiting = lists.open_cases(user, {"kind": "review"}).order_by()
    found = waiting.aggregate(**counts)
    ages = [(label, url, int(found[key])) for label, url, key in keyed]
    total = sum(count for _, _, count in ages)
    rows = [
        (
            label,
            count / total if total else 0.0,
            str(count),
            url,
            (Cell(label), Cell(str(count), url), Cell(share_text(count, total))),
        )
        for label, url, count in ages
    ]
    chart = bar_chart(
        key="reviews",
        title="人工审核积压（按等待时间）",
        summary="待处理的人工审核，按已等待的天数",
        headers=("已等待", "件数", "占比"),
        rows=rows,
    )
    return chart, total


def dashboard(user: Any) -> dict[str, Any]:
    """The figures and charts of the dashboard, for ``user``'s regions."""
    today = timezone.localdate()
    first = today.replace(day=1)
    figures, counted_at = region_figures(staff_regions(user), today)
    channels, this_month = channel_chart(figures, first)
    reviews, open_reviews = review_chart(user, today)
    month_param = f"{today:%Y-%m}"
    by_status = [
        (Entitlement.Status.NORMAL, sum(item.normal for item in figures)),
        (Entitlement.Status.SUSPENDED, sum(item.suspended for item in figures)),
        (Entitlement.Status.TERMINATED, sum(item.terminated for item in figures)),
    ]
    return {
        "regions": [item.region for item in figures],
        "counted_at": counted_at,
        "snapshot_minutes": max(1, settings.DASHBOARD_SNAPSHOT_SECONDS // 60),
        "by_status": [
            (status.label, count, link("entitlement-list", status=status.value))
            for status, count in by_status
        ],
        "due_soon": sum(item.due_soon for item in figures),
        "overdue": sum(item.overdue for item in figures),
        "this_month": this_month,
        "this_month_url": link("certification-list", date_from=first.isoformat()),
        "open_reviews": open_reviews,
        "pending_overpayments": lists.overpayments(
            user, {"status": Overpayment.Status.PENDING}
        ).aggregate(n=Count("id"), amount=Sum("amount")),
        "back_pay_month": lists.back_pays(user, {"month": today}).aggregate(
            n=Count("id"), amount=Sum("amount")
        ),
        "this_month_param": month_param,
        "open_cases": lists.open_cases(user, {"kind": "death"}).count(),
        "charts": [
            region_chart(figures),
            month_chart(figures, today),
            channels,
            reviews,
        ],
    }
