"""Demo data: realistic persons, units, entitlements and certification history.

Rows are generated in chunks as plain tuples and written with the database's
own bulk path (``core.bulk.append_rows``: COPY on PostgreSQL,
executemany on SQLite), so a million persons with five million certifications
load in well under a minute.
"""

import datetime
import itertools
import os
import random
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import connection
from django.utils import timezone

from lifecert.certification.models import BackPay, Certification, SuspensionRun
from lifecert.certification.services import DEATH_REASON, OVERDUE_REASON
from lifecert.core.bulk import append_rows
from lifecert.demo import demo_cycle
from lifecert.registry.ids import with_check_character
from lifecert.registry.models import Entitlement, Person, Region, Unit

REGIONS = [("440100", "广州市"), ("440300", "深圳市"), ("440600", "佛山市")]
# Each region's office for the failure pages (名称, 地址, 电话). Demo values: the
# addresses are made up; a bureau enters its own in the admin.
OFFICES = {
    "440100": ("广州市社会保险基金管理中心", "广州市越秀区演示路 1 号", "020-12333"),
    "440300": ("深圳市社会保险基金管理局", "深圳市福田区演示路 2 号", "0755-12333"),
    "440600": ("佛山市社会保险基金管理局", "佛山市禅城区演示路 3 号", "0757-12333"),
}
# County codes that existed from the 1980s on (numbers were issued from 1985).
COUNTIES = {
    "440100": ["440103", "440104", "440105", "440106", "440111", "440112"],
    "440300": ["440303", "440304", "440305", "440306", "440307"],
    "440600": ["440604", "440605", "440606", "440607", "440608"],
}
DISTRICTS = {
    "440100": ["荔湾区", "越秀区", "海珠区", "天河区", "白云区", "黄埔区"],
    "440300": ["罗湖区", "福田区", "南山区", "宝安区", "龙岗区"],
    "440600": ["禅城区", "南海区", "顺德区", "三水区", "高明区"],
}
ROADS = [
    "人民路",
    "解放路",
    "中山路",
    "建设路",
    "新华路",
    "东风路",
    "滨江路",
    "环市路",
    "工业大道",
]
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁"
    "任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔"
)
GIVEN = (
    "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉兰萍红建国建华志强国庆淑珍丽华文"
    "德福荣生金凤春梅海燕新民振华少明桂芳玉珍美玲永康惠珍锦辉"
)
UNIT_KINDS = [
    "机械厂",
    "纺织厂",
    "百货公司",
    "建筑工程公司",
    "电子有限公司",
    "食品厂",
    "运输公司",
]
# Channels and their weights in the history.
CHANNELS = [("face", 40), ("unit", 35), ("counter", 10), ("home", 5), ("data", 10)]

DEMO_PERSONAL_SSN = "43060319920301203X"
DEMO_PERSONAL_NAME = "杨书维"
DEMO_BIG_UNIT = "4401000001"
DEMO_SECOND_UNIT = "4401000002"


@dataclass
class DemoPlan:
    persons: int
    certifications_per_person: int = 5
    big_unit_size: int = 263
    seed: int = 2026
    now: datetime.datetime = field(
        default_factory=lambda: datetime.datetime.now(datetime.UTC).replace(
            microsecond=0
        )
    )
    # Filled by ``generate``: the person id of each ``demo_cycle.ROLES`` part.
    roles: dict[str, int] = field(default_factory=dict)


def _weighted(
    rng: random.Random, options: Sequence[tuple[str, int]], n: int
) -> list[str]:
    return rng.choices([o for o, _ in options], weights=[w for _, w in options], k=n)


class _Writer:
    """Appends rows to a table with the database's fastest plain path."""

    def __init__(self) -> None:
        self.vendor = connection.vendor
        if self.vendor == "sqlite":
            with connection.cursor() as cursor:
                # A large page cache keeps the indexes' B-trees in memory while loading.
                cursor.execute("PRAGMA cache_size = -1000000")

    def write(
        self, table: str, columns: Sequence[str], rows: list[tuple[Any, ...]]
    ) -> None:
        if rows:
            append_rows(connection, table, columns, rows)


_uuid_counter = itertools.count()


def _uuid_hexes(n: int) -> list[str]:
    """Time-ordered ids in the manner of UUIDv7: 48 bits of milliseconds, a
    32-bit counter, 48 random bits. New rows land at the end of the unique index
    instead of at random places in it, which keeps a bulk load fast; the random
    part keeps them unguessable.
    """
    prefix = f"{int(time.time() * 1000):012x}"
    randoms = os.urandom(6 * n).hex()
    start = (next(_uuid_counter) << 20) % 2**32
    return [f"{prefix}{start + k:08x}{randoms[12 * k : 12 * k + 12]}" for k in range(n)]


def _next_id(model: type[Any]) -> int:
    last = model.objects.order_by("-pk").values_list("pk", flat=True).first()
    return (last or 0) + 1


def ensure_regions() -> dict[str, Region]:
    regions = {}
    for code, name in REGIONS:
        office, address, phone = OFFICES[code]
        regions[code], _ = Region.objects.update_or_create(
            code=code,
            defaults={
                "office_name": office,
                "office_address": address,
                "office_phone": phone,
            },
            create_defaults={
                "name": name,
                "office_name": office,
                "office_address": address,
                "office_phone": phone,
            },
        )
    return regions


def make_units(
    rng: random.Random, regions: dict[str, Region], count: int
) -> list[Unit]:
    """The demo's units; the first two are the demo unit account's."""
    existing = {u.number: u for u in Unit.objects.all()}
    units = []
    for i in range(count):
        region_code = REGIONS[0][0] if i < 2 else REGIONS[i % 3][0]
        number = f"{region_code[:4]}{i + 1:06d}"
        if number in existing:
            units.append(existing[number])
            continue
        district = rng.choice(DISTRICTS[region_code])
        kind = rng.choice(UNIT_KINDS)
        name = f"{regions[region_code].name}{district}{rng.choice(SURNAMES)}记{kind}"
        units.append(
            Unit.objects.create(number=number, name=name, region=regions[region_code])
        )
    return units


Rows = list[tuple[Any, ...]]
Chunk = tuple[Rows, Rows, Rows, Rows, Rows]


def generate(
    plan: DemoPlan, units: list[Unit], regions: dict[str, Region]
) -> Iterator[Chunk]:
    """Yield chunks of (person, entitlement, certification, back pay, run list) rows.

    The monthly suspension runs the rows point to are created first
    (``demo_cycle.make_runs``); each entitlement's place in the cycle is drawn
    by ``demo_cycle.Placer``, and the first persons of the demo unit play the
    parts of ``demo_cycle.ROLES`` (their ids land in ``plan.roles``).
    """
    pg = connection.vendor == "postgresql"
    rng = random.Random(plan.seed)
    rand = rng.random  # int(rand() * n) is several times cheaper than randint

    def ts(moment: datetime.datetime) -> str:
        # Naive UTC text as Django stores it on SQLite; PostgreSQL takes the offset.
        text = moment.isoformat(" ")
        return text + "+00" if pg else text

    person_id = _next_id(Person)
    entitlement_id = _next_id(Entitlement)
    certification_id = _next_id(Certification)
    back_pay_id = _next_id(BackPay)
    run_link = SuspensionRun.entitlements.through
    run_link_id = _next_id(run_link)
    runs = demo_cycle.make_runs(plan.now)
    placer = demo_cycle.Placer(rand, timezone.localdate(plan.now))
    region_codes = [code for code, _ in REGIONS]
    region_pk = {code: regions[code].pk for code in region_codes}
    counties_flat = [(code, c) for code in region_codes for c in COUNTIES[code]]
    unit_info = [(u.pk, u.region.code) for u in units]
    big, rest = unit_info[0], unit_info[1:]
    by_region = {
        code: [u for u in rest if u[1] == code] or rest for code in region_codes
    }
    now = plan.now.replace(tzinfo=None)
    created = ts(now)
    epoch = datetime.date(1940, 1, 1)
    one_day, one_second = datetime.timedelta(days=1), datetime.timedelta(seconds=1)
    chunk = 20_000
    done = 0
    while done < plan.persons:
        n = min(chunk, plan.persons - done)
        persons: list[tuple[Any, ...]] = []
        entitlements: list[tuple[Any, ...]] = []
        certifications: list[tuple[Any, ...]] = []
        back_pays: list[tuple[Any, ...]] = []
        run_links: list[tuple[Any, ...]] = []
        person_uuids = _uuid_hexes(n)
        ent_uuids = _uuid_hexes(n + n // 50 + 1)
        cert_uuids = _uuid_hexes((n + n // 50 + 1) * plan.certifications_per_person)
        channels = _weighted(rng, CHANNELS, len(cert_uuids))
        e_index = c_index = 0
        for k in range(n):
            i = done + k
            region_code, county = counties_flat[i % len(counties_flat)]
            serial = i // len(counties_flat)
            born = epoch + one_day * (serial % 9490)
            seq = (serial // 9490) % 1000
            born_text = born.isoformat()
            ssn = with_check_character(f"{county}{born_text.replace('-', '')}{seq:03d}")
            if i == 0:
                ssn, name, region_code = DEMO_PERSONAL_SSN, DEMO_PERSONAL_NAME, "440100"
                born_text = "1992-03-01"
            else:
                given = GIVEN[int(rand() * len(GIVEN))]
                if rand() < 0.7:
                    given += GIVEN[int(rand() * len(GIVEN))]
                name = SURNAMES[int(rand() * len(SURNAMES))] + given
            districts = DISTRICTS[region_code]
            address = (
                f"{districts[int(rand() * len(districts))]}"
                f"{ROADS[int(rand() * len(ROADS))]}{1 + int(rand() * 399)}号"
            )
            persons.append(
                (
                    person_id,
                    person_uuids[k],
                    ssn,
                    False,
                    name,
                    "M" if int(ssn[16]) % 2 else "F",
                    born_text,
                    f"13{int(rand() * 1_000_000_000):09d}",
                    address,
                    None,
                    created,
                )
            )
            # The first persons fill the big unit; 2% are insured in a second city too.
            homes = [region_code]
            if i == 0 or i % 50 == 7:
                homes.append(region_codes[(region_codes.index(region_code) + 1) % 3])
            used: set[str] = set()
            for h, home in enumerate(homes):
                unit = big if h == 0 and i < plan.big_unit_size else None
                if unit is None:
                    unit = by_region[home][i % len(by_region[home])]
                home = unit[1]
                if home in used:
                    home = next(c for c in region_codes if c not in used)
                    unit = by_region[home][i % len(by_region[home])]
                used.add(home)
                role = None
                if h == 0 and i < plan.big_unit_size:
                    role = demo_cycle.ROLES.get(i)
                roll = 0.0 if i == 0 or role else rand()
                status = "suspended" if role == "suspended" else "normal"
                if roll >= 0.95:
                    status = "suspended" if roll < 0.98 else "terminated"
                start_year = max(born.year + 60, 2000)
                start = (
                    f"{start_year}-{born.month:02d}-01"
                    if start_year < now.year
                    else "2015-01-01"
                )
                if role is not None:
                    plan.roles[role] = person_id
                place = placer.place(status, role)
                amount = f"{1800 + int(rand() * 7200)}.{int(rand() * 100):02d}"
                # A resumed pension was stopped for some months before: its
                # older certifications lie that much further back.
                gap = 31 * place.back_months + 10 if place.back_months else 0
                last = None
                first_certification = certification_id
                for j in range(plan.certifications_per_person):
                    jitter = int(rand() * 41) - 20 + gap if j else 0
                    moment = now - one_day * (place.recent + 365 * j + jitter)
                    moment -= one_second * int(rand() * 36_000)
                    if last is None:
                        last = moment
                    channel = channels[c_index]
                    operator = ""
                    if j == 0 and role == "certified_after_death":
                        channel, operator = "unit", demo_cycle.DEMO_OPERATOR
                    certifications.append(
                        (
                            certification_id,
                            cert_uuids[c_index],
                            person_id,
                            region_pk[home],
                            entitlement_id,
                            ts(moment),
                            channel,
                            operator,
                            unit[0] if channel == "unit" else None,
                            "{}",
                            None,
                            None,
                        )
                    )
                    certification_id += 1
                    c_index += 1
                reason = {"suspended": OVERDUE_REASON, "terminated": DEATH_REASON}.get(
                    status, ""
                )
                since = place.run_day
                if place.run_day is not None:
                    run_links.append((run_link_id, runs[place.run_day], entitlement_id))
                    run_link_id += 1
                elif place.back_months and last is not None:
                    since = demo_cycle.resumed_on(last)
                    stopped = demo_cycle.back_pay_since(since, place.back_months)
                    back_pays.append(
                        (
                            back_pay_id,
                            entitlement_id,
                            first_certification,
                            runs[stopped],
                            stopped.isoformat(),
                            place.back_months,
                            str(Decimal(amount) * place.back_months),
                            ts(last),
                        )
                    )
                    back_pay_id += 1
                    run_links.append((run_link_id, runs[stopped], entitlement_id))
                    run_link_id += 1
                entitlements.append(
                    (
                        entitlement_id,
                        ent_uuids[e_index],
                        person_id,
                        region_pk[home],
                        unit[0],
                        status,
                        reason,
                        since.isoformat() if since else None,
                        amount,
                        start,
                        ts(last) if last else None,
                    )
                )
                entitlement_id += 1
                e_index += 1
            person_id += 1
        done += n
        yield persons, entitlements, certifications, back_pays, run_links


PERSON_COLUMNS = (
    "id",
    "public_id",
    "ssn",
    "legacy_code",
    "name",
    "gender",
    "birth_date",
    "phone",
    "address",
    "death_date",
    "created_at",
)
ENTITLEMENT_COLUMNS = (
    "id",
    "public_id",
    "person_id",
    "region_id",
    "unit_id",
    "status",
    "status_reason",
    "status_since",
    "monthly_amount",
    "start_date",
    "last_certified_at",
)
CERTIFICATION_COLUMNS = (
    "id",
    "public_id",
    "person_id",
    "region_id",
    "entitlement_id",
    "certified_at",
    "channel",
    "operator_name",
    "unit_id",
    "evidence",
    "receipt_code",
    "operator_id",
)


BACK_PAY_COLUMNS = (
    "id",
    "entitlement_id",
    "certification_id",
    "suspension_run_id",
    "suspended_since",
    "months",
    "amount",
    "created_at",
)
RUN_LINK_COLUMNS = ("id", "suspensionrun_id", "entitlement_id")


def write_chunk(writer: _Writer, chunk: Chunk) -> None:
    persons, entitlements, certifications, back_pays, run_links = chunk
    writer.write(Person._meta.db_table, PERSON_COLUMNS, persons)
    writer.write(Entitlement._meta.db_table, ENTITLEMENT_COLUMNS, entitlements)
    writer.write(Certification._meta.db_table, CERTIFICATION_COLUMNS, certifications)
    writer.write(BackPay._meta.db_table, BACK_PAY_COLUMNS, back_pays)
    run_table = SuspensionRun.entitlements.through._meta.db_table
    writer.write(run_table, RUN_LINK_COLUMNS, run_links)


_TABLES = (Person, Entitlement, Certification)


def drop_secondary_indexes() -> list[str]:
    """Drop what slows a bulk load of the big tables; return the SQL to restore it.

    Non-unique indexes are dropped and built once over the loaded rows, which is
    far cheaper than keeping them up to date row by row. On PostgreSQL the
    foreign keys go too (each row would queue a deferred check) and are added
    back afterwards, which validates every row in one pass, as pg_restore does.
    Unique constraints stay, so the load is still checked as it goes.
    """
    tables = [m._meta.db_table for m in _TABLES]
    restore: list[str] = []
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Earlier writes of this transaction must be checked before ALTER TABLE.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(
                "SELECT i.indexname, i.indexdef FROM pg_indexes i"
                " JOIN pg_class c ON c.relname = i.indexname"
                " JOIN pg_index x ON x.indexrelid = c.oid"
                " WHERE i.tablename = ANY(%s) AND NOT x.indisunique",
                [tables],
            )
            indexes = cursor.fetchall()
            cursor.execute(
                "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid)"
                " FROM pg_constraint WHERE contype = 'f'"
                " AND conrelid::regclass::text = ANY(%s)",
                [tables],
            )
            for table, name, definition in cursor.fetchall():
                cursor.execute(f'ALTER TABLE "{table}" DROP CONSTRAINT "{name}"')
                restore.append(
                    f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" {definition}'
                )
        else:
            marks = ", ".join(["%s"] * len(tables))
            cursor.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index'"  # noqa: S608
                f" AND sql IS NOT NULL AND sql NOT LIKE 'CREATE UNIQUE%%'"
                f" AND tbl_name IN ({marks})",
                tables,
            )
            indexes = cursor.fetchall()
        for name, definition in indexes:
            cursor.execute(f'DROP INDEX "{name}"')
            restore.insert(0, definition)
    return restore


def rebuild_indexes(definitions: list[str]) -> None:
    """Run what ``drop_secondary_indexes`` returned: indexes, then foreign keys."""
    with connection.cursor() as cursor:
        for definition in definitions:
            cursor.execute(definition)


def reset_sequences() -> None:
    if connection.vendor != "postgresql":
        return
    from django.core.management.color import no_style

    statements = connection.ops.sequence_reset_sql(
        no_style(),
        [
            Person,
            Entitlement,
            Certification,
            BackPay,
            SuspensionRun.entitlements.through,
        ],
    )
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)
