# ruff: noqa: S608  (the SQL is built from this file's constants only)
"""The plain side of ``bench_cycle.py``: the cycle's work in hand-written SQL.

Each method does what the Django path does, with the database's own
statements through the same connection: the cycle's cutoff is the one rule's
(``cycle.base_cutoff``), computed once, and the files go through the same
.xlsx writer. ``snapshot`` / ``check_and_restore`` put the database back after
each suspension run (untimed) and check that the run did its whole work,
its audit rows linked into an unbroken chain.
"""

import dataclasses
import datetime
import decimal
import hashlib
import json
import uuid
from collections.abc import Iterator
from typing import Any

from django.db import transaction
from django.test import Client
from django.utils import timezone

from lifecert.accounts.models import User
from lifecert.certification import cycle
from lifecert.certification.models import BackPay
from lifecert.certification.services import OVERDUE_REASON
from lifecert.core import audit
from lifecert.core.audit_actions import AuditAction
from lifecert.core.models import AuditChainHead, AuditEvent
from lifecert.exports import money
from lifecert.exports.reports import CHANNEL_LABELS
from lifecert.exports.xlsx import write_report_to_tempfile
from lifecert.registry.models import Entitlement

OVERDUE = (
    "e.status = 'normal' AND (e.last_certified_at < %s"
    " OR (e.last_certified_at IS NULL AND e.start_date < %s))"
)
LINK = "certification_suspensionrun_entitlements"


@dataclasses.dataclass
class Snapshot:
    audit_id: int
    head_seq: int
    head_hash: str
    run_id: int
    dated: list[tuple[int, Any]]  # overdue rows that had a status date


class CycleSQL:
    def __init__(self, connection: Any) -> None:
        self.connection = connection
        self.pg = connection.vendor == "postgresql"

    # ------------------------------------------------------------ helpers

    def client(self, username: str) -> Client:
        client = Client()
        client.force_login(User.objects.get(username=username))
        return client

    def midnight(self, day: datetime.date) -> Any:
        return self.connection.ops.adapt_datetimefield_value(cycle.local_midnight(day))

    def _overdue_params(self, today: datetime.date) -> list[Any]:
        cutoff = cycle.base_cutoff(today)
        return [self.midnight(cutoff), cutoff]

    def _fetch(self, sql: str, params: list[Any]) -> list[Any]:
        with self.connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()

    def _stamp(self, value: Any) -> Any:
        if isinstance(value, str):  # SQLite: naive UTC text
            return datetime.datetime.fromisoformat(value).replace(tzinfo=datetime.UTC)
        return value

    def _day(self, value: Any) -> Any:
        return datetime.date.fromisoformat(value) if isinstance(value, str) else value

    def _write(self, report: Any, rows: Iterator[tuple[Any, ...]]) -> int:
        handle, count = write_report_to_tempfile(dataclasses.replace(report, rows=rows))
        handle.close()
        return count

    # ------------------------------------------------------------ the preview

    def preview_page(self, today: datetime.date) -> None:
        """Count, by region, the 50 biggest units, the first page of 10."""
        params = self._overdue_params(today)
        base = f"FROM registry_entitlement e WHERE {OVERDUE}"
        self._fetch(f"SELECT count(*) {base}", params)
        self._fetch(
            "SELECT r.name, count(*) FROM registry_entitlement e"
            f" JOIN registry_region r ON r.id = e.region_id WHERE {OVERDUE}"
            " GROUP BY r.code, r.name ORDER BY r.code",
            params,
        )
        self._fetch(
            "SELECT u.number, u.name, count(*) AS n FROM registry_entitlement e"
            f" LEFT JOIN registry_unit u ON u.id = e.unit_id WHERE {OVERDUE}"
            " GROUP BY u.number, u.name ORDER BY n DESC, u.number LIMIT 50",
            params,
        )
        self._fetch(
            "SELECT e.id, e.public_id, e.status, e.monthly_amount, e.start_date,"
            " e.last_certified_at, p.public_id, p.name, p.ssn, r.name, u.number,"
            " u.name FROM registry_entitlement e"
            " JOIN registry_person p ON p.id = e.person_id"
            " JOIN registry_region r ON r.id = e.region_id"
            f" LEFT JOIN registry_unit u ON u.id = e.unit_id WHERE {OVERDUE}"
            " ORDER BY r.code, u.number, e.id LIMIT 10",
            params,
        )

    def preview_export(self, today: datetime.date) -> int:
        report = money.suspension_report(Entitlement.objects.none(), title="拟暂停名单")
        labels = dict(Entitlement.Status.choices)

        def rows() -> Iterator[tuple[Any, ...]]:
            with self.connection.cursor() as cursor:
                cursor.execute(
                    "SELECT r.name, u.number, u.name, p.name, p.ssn, e.monthly_amount,"
                    " e.start_date, e.last_certified_at, e.status"
                    " FROM registry_entitlement e"
                    " JOIN registry_person p ON p.id = e.person_id"
                    " JOIN registry_region r ON r.id = e.region_id"
                    f" LEFT JOIN registry_unit u ON u.id = e.unit_id WHERE {OVERDUE}"
                    " ORDER BY r.code, u.number, e.id",
                    self._overdue_params(today),
                )
                while batch := cursor.fetchmany(2000):
                    for *head, amount, start, last, status in batch:
                        yield (
                            *head,
                            float(amount),
                            self._day(start),
                            self._stamp(last),
                            labels[status],
                        )

        return self._write(report, rows())

    # ------------------------------------------------------------ the run

    def run(self) -> int:
        """The scheduled run by hand: the run, its list, the status change, an
        audit row per entitlement and one for the run; then the chain."""
        now = timezone.now()
        today = timezone.localdate(now)
        public_id = uuid.uuid4()
        at = self.connection.ops.adapt_datetimefield_value(now)
        run_key = str(public_id) if self.pg else public_id.hex
        with transaction.atomic(), self.connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO certification_suspensionrun (public_id, run_at, run_on,"
                " run_by_id, run_by_label, source, region_id, count)"
                " VALUES (%s, %s, %s, NULL, %s, 'schedule', NULL, 0)",
                [run_key, at, today, "定时任务"],
            )
            cursor.execute(
                "SELECT id FROM certification_suspensionrun WHERE public_id = %s",
                [run_key],
            )
            run_id = cursor.fetchone()[0]
            cursor.execute(
                f"INSERT INTO {LINK} (suspensionrun_id, entitlement_id)"
                f" SELECT %s, e.id FROM registry_entitlement e WHERE {OVERDUE}",
                [run_id, *self._overdue_params(today)],
            )
            count = cursor.rowcount
            if count == 0:
                transaction.set_rollback(True)
                return 0
            cursor.execute(
                "UPDATE registry_entitlement SET status = 'suspended',"
                " status_reason = %s, status_since = %s WHERE id IN"
                f" (SELECT entitlement_id FROM {LINK} WHERE suspensionrun_id = %s)",
                [OVERDUE_REASON, today, run_id],
            )
            cursor.execute(
                "UPDATE certification_suspensionrun SET count = %s WHERE id = %s",
                [count, run_id],
            )
            if self.pg:
                target, cast = "e.public_id::text", "::jsonb"
            else:
                h = "e.public_id"
                target = (
                    f"substr({h},1,8)||'-'||substr({h},9,4)||'-'||substr({h},13,4)"
                    f"||'-'||substr({h},17,4)||'-'||substr({h},21,12)"
                )
                cast = ""
            columns = (
                "at, actor_id, actor_label, action, target_type, target_id,"
                " region_id, ip, before, after"
            )
            after = {"status": "suspended", "reason": OVERDUE_REASON}
            cursor.execute(
                f"INSERT INTO core_auditevent ({columns})"
                f" SELECT %s, NULL, 'anonymous', %s, 'Entitlement', {target},"
                f" e.region_id, NULL, %s{cast}, %s{cast}"
                f" FROM registry_entitlement e JOIN {LINK} l ON l.entitlement_id = e.id"
                " WHERE l.suspensionrun_id = %s ORDER BY e.id",
                [
                    at,
                    AuditAction.ENTITLEMENT_SUSPEND.value,
                    "{}",
                    json.dumps(after, ensure_ascii=False),
                    run_id,
                ],
            )
            run_after = {
                "count": count,
                "run_on": today.isoformat(),
                "source": "schedule",
            }
            cursor.execute(
                f"INSERT INTO core_auditevent ({columns}) VALUES (%s, NULL,"
                f" 'anonymous', %s, 'SuspensionRun', %s, NULL, NULL, %s{cast},"
                f" %s{cast})",
                [
                    at,
                    AuditAction.SUSPENSION_RUN.value,
                    str(public_id),
                    "{}",
                    json.dumps(run_after, ensure_ascii=False),
                ],
            )
        self.chain()
        return count

    def chain(self) -> int:
        """Link the unlinked audit rows: the same hashes, stored 5,000 per UPDATE."""
        with transaction.atomic(), self.connection.cursor() as cursor:
            lock = " FOR UPDATE" if self.pg else ""
            cursor.execute(
                f"SELECT seq, hash FROM core_auditchainhead WHERE id = 1{lock}"
            )
            seq, prev = cursor.fetchone()
            cursor.execute(
                "SELECT id, at, actor_id, actor_label, action, target_type, target_id,"
                " region_id, ip, before, after FROM core_auditevent"
                " WHERE seq IS NULL ORDER BY id"
            )
            updates = []
            for row in cursor.fetchall():
                (
                    pk,
                    at,
                    actor,
                    label,
                    action,
                    kind,
                    target,
                    region,
                    ip,
                    before,
                    after,
                ) = row
                seq += 1
                content = json.dumps(
                    {
                        "v": 1,
                        "id": pk,
                        "seq": seq,
                        "at": self._stamp(at)
                        .astimezone(datetime.UTC)
                        .isoformat(timespec="microseconds"),
                        "actor_id": actor,
                        "actor_label": label,
                        "action": action,
                        "target_type": kind,
                        "target_id": target,
                        "region_id": region,
                        "ip": None if ip is None else str(ip),
                        "before": json.loads(before)
                        if isinstance(before, str)
                        else before,
                        "after": json.loads(after) if isinstance(after, str) else after,
                    },
                    sort_keys=True,
                    ensure_ascii=False,
                    separators=(",", ":"),
                )
                digest = hashlib.sha256(f"{prev}\n{content}".encode()).hexdigest()
                updates.append((seq, prev, digest, pk))
                prev = digest
            cast = "::bigint" if self.pg else ""
            row = f"(%s{cast}, %s, %s, %s{cast})"
            for start in range(0, len(updates), 5000):
                batch = updates[start : start + 5000]
                cursor.execute(
                    "WITH v (seq, prev_hash, hash, id) AS"
                    f" (VALUES {', '.join([row] * len(batch))})"
                    " UPDATE core_auditevent SET seq = v.seq,"
                    " prev_hash = v.prev_hash, hash = v.hash"
                    " FROM v WHERE core_auditevent.id = v.id",
                    [value for link in batch for value in link],
                )
            cursor.execute(
                "UPDATE core_auditchainhead SET seq = %s, hash = %s WHERE id = 1",
                [seq, prev],
            )
        return len(updates)

    # ------------------------------------------------------------ put it back

    def snapshot(self, today: datetime.date) -> Snapshot:
        head = AuditChainHead.objects.get(pk=1)
        dated = self._fetch(
            f"SELECT e.id, e.status_since FROM registry_entitlement e WHERE {OVERDUE}"
            " AND e.status_since IS NOT NULL",
            self._overdue_params(today),
        )
        last_run = self._fetch("SELECT max(id) FROM certification_suspensionrun", [])
        return Snapshot(
            audit_id=AuditEvent.objects.order_by("-id").values_list("id", flat=True)[0],
            head_seq=head.seq,
            head_hash=head.hash,
            run_id=last_run[0][0] or 0,
            dated=dated,
        )

    def check_and_restore(self, snap: Snapshot, expected: int) -> None:
        """Check the run's whole work was done, then undo it."""
        listed = self._fetch(
            f"SELECT count(*) FROM {LINK} WHERE suspensionrun_id > %s", [snap.run_id]
        )[0][0]
        assert listed == expected, (listed, expected)
        events = AuditEvent.objects.filter(id__gt=snap.audit_id).order_by("seq")
        assert events.count() == expected + 1, events.count()
        prev = snap.head_hash
        for event in events.iterator(chunk_size=5000):
            assert event.prev_hash == prev
            assert audit.link_hash(prev, event) == event.hash
            prev = event.hash
        with transaction.atomic(), self.connection.cursor() as cursor:
            cursor.execute(
                "UPDATE registry_entitlement SET status = 'normal', status_reason = '',"
                " status_since = NULL WHERE id IN (SELECT entitlement_id"
                f" FROM {LINK} WHERE suspensionrun_id > %s)",
                [snap.run_id],
            )
            assert cursor.rowcount == expected
            cursor.executemany(
                "UPDATE registry_entitlement SET status_since = %s WHERE id = %s",
                [(since, pk) for pk, since in snap.dated],
            )
            cursor.execute(
                f"DELETE FROM {LINK} WHERE suspensionrun_id > %s", [snap.run_id]
            )
            cursor.execute(
                "DELETE FROM certification_suspensionrun WHERE id > %s", [snap.run_id]
            )
            cursor.execute("DELETE FROM core_auditevent WHERE id > %s", [snap.audit_id])
            cursor.execute(
                "UPDATE core_auditchainhead SET seq = %s, hash = %s WHERE id = 1",
                [snap.head_seq, snap.head_hash],
            )

    # ------------------------------------------------------------ 补发清单

    def _month(self, first: datetime.date | None) -> tuple[str, list[Any]]:
        if first is None:
            return "", []
        return " WHERE b.created_at >= %s AND b.created_at < %s", [
            self.midnight(first),
            self.midnight(cycle.add_months(first, 1)),
        ]

    def back_pay_page(self, first: datetime.date | None) -> None:
        """Totals and the first page of 10, newest first."""
        where, params = self._month(first)
        self._fetch(
            f"SELECT count(*), sum(b.amount) FROM certification_backpay b{where}",
            params,
        )
        self._fetch(
            "SELECT b.id, b.suspended_since, b.months, b.amount, b.created_at,"
            " p.public_id, p.name, p.ssn, r.name, u.number, s.public_id, s.run_on,"
            " c.channel, c.certified_at FROM certification_backpay b"
            " JOIN registry_entitlement e ON e.id = b.entitlement_id"
            " JOIN registry_person p ON p.id = e.person_id"
            " JOIN registry_region r ON r.id = e.region_id"
            " LEFT JOIN registry_unit u ON u.id = e.unit_id"
            " LEFT JOIN certification_suspensionrun s ON s.id = b.suspension_run_id"
            f" JOIN certification_certification c ON c.id = b.certification_id{where}"
            " ORDER BY b.created_at DESC, b.id DESC LIMIT 10",
            params,
        )

    def back_pay_export(self) -> int:
        report = money.back_pay_report(BackPay.objects.none())
        labels = dict(CHANNEL_LABELS)

        def rows() -> Iterator[tuple[Any, ...]]:
            with self.connection.cursor() as cursor:
                cursor.execute(
                    "SELECT r.name, u.number, p.name, p.ssn, b.suspended_since,"
                    " b.created_at, b.months, e.monthly_amount, b.amount, c.channel"
                    " FROM certification_backpay b"
                    " JOIN registry_entitlement e ON e.id = b.entitlement_id"
                    " JOIN registry_person p ON p.id = e.person_id"
                    " JOIN registry_region r ON r.id = e.region_id"
                    " LEFT JOIN registry_unit u ON u.id = e.unit_id"
                    " JOIN certification_certification c ON c.id = b.certification_id"
                    " ORDER BY b.created_at, b.id"
                )
                while batch := cursor.fetchmany(2000):
                    for *head, since, made, months, monthly, amount, channel in batch:
                        yield (
                            *head,
                            self._day(since),
                            self._stamp(made),
                            months,
                            float(monthly),
                            float(decimal.Decimal(str(amount))),
                            labels.get(channel, channel),
                        )

        return self._write(report, rows())
