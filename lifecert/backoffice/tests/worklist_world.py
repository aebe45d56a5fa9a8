"""A hand-built world for the working lists and the dashboard, on 2026-11-05.

广州 (personas.region), unit 4401000001 unless said:

| who | status | last certification (local) | why it is here |
|---|---|---|---|
| 杨书维 (personas) | normal | never, started 2015 | overdue |
| 甲到期 | normal | 2025-11-20 | due 2026-11-20: within 30 days |
| 乙当天 | normal | 2025-11-05 09:00 | due today (in time), before the 12 months |
| 丙三月 | normal | 2026-03-15, unit 4401000002 | month 2026-03 |
| 丁月初 | normal | 2026-11-01 00:30 (counter) | month 2026-11 local (UTC: Oct) |
| 戊月末 | normal | 2026-10-31 23:30 | month 2026-10, not this month |
| 己比对 | normal | 2026-11-03 (数据比对, 公安户籍) | month 2026-11 |
| 庚暂停 | suspended since 2026-10-01 | 2025-09-01 | |
| 辛终止 | terminated | | |
| 壬新领 | normal | never, started 2026-06-01 | in time, in no month |
| 癸故去 | terminated | 2026-10-10 (unit), died 2026-09-15 | death case, overpaid |

深圳: 深三月 (normal, 2026-03-20), 深逾期 (normal, 2025-09-01: overdue).

人工审核 open: 广州 2026-11-04 (age 1), 2026-10-20 (age 16), 2026-09-01 (age 65);
深圳 2026-11-05 (age 0); one 广州 already approved.
"""

import datetime
from dataclasses import dataclass
from typing import Any

import time_machine

from lifecert.certification.models import Channel, ReviewRequest
from lifecert.certification.services import record_certification, record_death
from lifecert.demo.testing import (
    make_certification,
    make_entitlement,
    make_person,
    make_staff_user,
    make_unit,
)
from lifecert.registry.models import Entitlement

TZ = datetime.timezone(datetime.timedelta(hours=8))
NOW = datetime.datetime(2026, 11, 5, 10, tzinfo=TZ)
GZ_NAMES = ["杨书维", "甲到期", "乙当天", "丙三月", "丁月初", "戊月末", "己比对"]
SZ_NAMES = ["深三月", "深逾期"]


def at(*args: int) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=TZ)


@dataclass
class WorkWorld:
    personas: Any
    province: Any
    unit_b: Any
    dead: Any
    by_name: dict[str, Entitlement]


def build(personas: Any) -> WorkWorld:
    gz, sz, unit = personas.region, personas.other_region, personas.unit
    unit_b = make_unit(region=gz, number="4401000002", name="广州市乙单位")
    by_name: dict[str, Entitlement] = {"杨书维": personas.entitlement}

    def pension(name: str, **values: Any) -> Entitlement:
        values.setdefault("region", gz)
        values.setdefault("unit", unit if values["region"] == gz else None)
        entitlement = make_entitlement(person=make_person(name=name), **values)
        by_name[name] = entitlement
        return entitlement

    def certified(name: str, when: datetime.datetime, **values: Any) -> None:
        channel = values.pop("channel", Channel.COUNTER)
        evidence = values.pop("evidence", {})
        entitlement = pension(name, **values)
        make_certification(
            entitlement, certified_at=when, channel=channel, evidence=evidence
        )

    certified("甲到期", at(2025, 11, 20, 10))
    certified("乙当天", at(2025, 11, 5, 9))
    certified("丙三月", at(2026, 3, 15, 10), unit=unit_b)
    certified("丁月初", at(2026, 11, 1, 0, 30))
    certified("戊月末", at(2026, 10, 31, 23, 30))
    certified(
        "己比对",
        at(2026, 11, 3, 10),
        channel=Channel.DATA,
        evidence={"source": "公安户籍"},
    )
    certified(
        "庚暂停",
        at(2025, 9, 1, 10),
        status=Entitlement.Status.SUSPENDED,
        status_since=datetime.date(2026, 10, 1),
    )
    pension("辛终止", status=Entitlement.Status.TERMINATED)
    pension("壬新领", start_date=datetime.date(2026, 6, 1))
    certified("深三月", at(2026, 3, 20, 10), region=sz, unit=personas.other_unit)
    certified("深逾期", at(2025, 9, 1, 10), region=sz, unit=personas.other_unit)

    dead = pension("癸故去")
    with time_machine.travel(at(2026, 10, 10, 10), tick=False):
        record_certification(
            entitlement=dead,
            channel=Channel.UNIT,
            acting_user=personas.unit_user,
            operator_name="王经办",
            unit=unit,
        )
    record_death(
        entitlement=dead,
        death_date=datetime.date(2026, 9, 15),
        acting_user=personas.staff,
        today=datetime.date(2026, 10, 20),
    )

    for region, when, status in [
        (gz, at(2026, 11, 4, 10), ReviewRequest.Status.OPEN),
        (gz, at(2026, 10, 20, 10), ReviewRequest.Status.OPEN),
        (gz, at(2026, 9, 1, 10), ReviewRequest.Status.OPEN),
        (gz, at(2026, 10, 1, 10), ReviewRequest.Status.APPROVED),
        (sz, at(2026, 11, 5, 9), ReviewRequest.Status.OPEN),
    ]:
        with time_machine.travel(when, tick=False):
            person = (by_name["乙当天"] if region == gz else by_name["深三月"]).person
            ReviewRequest.objects.create(
                person=person, region=region, reason="多次认证失败", status=status
            )
    return WorkWorld(
        personas=personas,
        province=make_staff_user(None, username="province_staff"),
        unit_b=unit_b,
        dead=dead,
        by_name=by_name,
    )
