"""Writing the audit log. Every service that changes state calls ``record``.

The log is append-only and tamper-evident. Each row gets a place in one chain
(``seq``) and ``hash = sha256(prev_hash + "\\n" + canonical content)``, so
editing, deleting or reordering a row breaks the chain at that row
(``verify_chain``; the ``verify_audit_chain`` command).

Rows are linked after their transaction commits (``chain_pending``, run by
``transaction.on_commit``), under a lock on the one ``AuditChainHead`` row:
writers never fork the chain, and a business transaction never waits on the
chain while it holds its own row locks (no lock-order deadlock). Rows a crash
left unlinked are linked by the next append. A bulk writer may instead link its
rows before its own commit (``linked_before_commit``): it takes the chain lock
first, before any row lock, which keeps the lock order one-way.
"""

import contextlib
import dataclasses
import datetime
import hashlib
import ipaddress
import json
import uuid
from collections.abc import Iterator, Sequence
from typing import Any, Literal, cast

import ipware.ip
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Model
from django.http import HttpRequest
from django.utils import timezone

from lifecert.core.audit_actions import AuditAction
from lifecert.core.bulk import append_rows, shared_value
from lifecert.core.models import AuditChainHead, AuditEvent

GENESIS = "0" * 64
# Set on the connection inside ``linked_before_commit``: it holds the chain lock.
LINKING = "lifecert_audit_linking"
# Rows linked per transaction (one commit each): a 159,000-pension suspension
# run spent 4 s in 160 commits at 1000.
CHAIN_BATCH = 5000


def client_ip(request: HttpRequest | None) -> str | None:
    """The caller's address: REMOTE_ADDR, or with ``TRUSTED_PROXY_COUNT`` set
    the address our own proxies put in X-Forwarded-For (a client cannot choose
    it), read by django-ipware with django-axes' settings. One reading for the
    audit log, every throttle and the password lockouts; what those count is
    its :func:`counted_address`."""
    if request is None:
        return None
    address, _ = ipware.ip.get_client_ip(
        request,
        proxy_order=cast(Literal["left-most"], settings.AXES_IPWARE_PROXY_ORDER),
        proxy_count=settings.AXES_IPWARE_PROXY_COUNT,
        proxy_trusted_ips=settings.AXES_IPWARE_PROXY_TRUSTED_IPS,
        request_header_order=settings.AXES_IPWARE_META_PRECEDENCE_ORDER,
    )
    return str(address) if address else None


def counted_address(address: str | None) -> str | None:
    """What a per-address limit counts: an IPv4 address itself, an IPv6
    address's network of ``THROTTLE_IPV6_PREFIX`` bits (written as its first
    address). One subscriber is given a whole /64 (or more) and may use any
    address in it, so counting IPv6 addresses one by one would let a single
    caller guess, register or start face sessions without limit."""
    if not address:
        return None
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        prefix = settings.THROTTLE_IPV6_PREFIX
        return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False)[0])
    return str(ip)


def axes_client_address(request: HttpRequest) -> str | None:
    """django-axes' reading (``AXES_CLIENT_IP_CALLABLE``): its lockouts count
    per :func:`counted_address`, as our own throttles do."""
    return counted_address(client_ip(request))


def _label(user: Any) -> str:
    # A calling system (lifecert.api) is no account: it names itself.
    label = getattr(user, "audit_label", None)
    if isinstance(label, str):
        return label
    if user is None or not getattr(user, "is_authenticated", False):
        return "anonymous"
    username: str = user.get_username()
    return username


def _region_id(target: Any, actor: Any) -> int | None:
    """Whose staff read the row: the target's region (or its unit's), else the
    staff actor's."""
    for attr in ("region_id", "staff_region_id"):
        value = getattr(target, attr, None)
        if isinstance(value, int):
            return value
    value = getattr(getattr(target, "unit", None), "region_id", None)
    if isinstance(value, int):
        return value
    value = getattr(actor, "staff_region_id", None)
    return value if isinstance(value, int) else None


def record(
    action: AuditAction | str,
    *,
    acting_user: Any,
    target: Any = None,
    ip: str | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    region_id: int | None = None,
) -> AuditEvent:
    """Write one audit row for ``action`` done by ``acting_user`` on ``target``."""
    action = AuditAction(action)  # an unknown action has no label: refused
    actor = acting_user if getattr(acting_user, "is_authenticated", False) else None
    event = AuditEvent.objects.create(
        actor=actor,
        actor_label=_label(acting_user),
        action=action.value,
        target_type=type(target).__name__ if target is not None else "",
        target_id=str(getattr(target, "public_id", getattr(target, "pk", ""))),
        region_id=region_id or _region_id(target, actor),
        ip=ip,
        before=before or {},
        after=after or {},
    )
    transaction.on_commit(chain_pending, robust=True)
    return event


def record_many(
    action: AuditAction | str,
    *,
    acting_user: Any,
    model: type[Model],
    pks: Sequence[int],
    ip: str | None = None,
    after: dict[str, Any] | None = None,
) -> int:
    """One audit row per row of ``model`` in ``pks``, in set-based SQL.

    The rows are written by ``INSERT … SELECT`` from the target table itself, so
    auditing ten thousand bulk certifications costs one statement per chunk and
    no Python object per row. ``target_id`` is the row's public id, as in ``record``.
    """
    action = AuditAction(action)
    actor = acting_user if getattr(acting_user, "is_authenticated", False) else None
    if getattr(connection, LINKING, False):
        return _write_linked(action, acting_user, actor, model, pks, ip, after)
    # Table and column names are the models' own, never input.
    table, audit_table = model._meta.db_table, AuditEvent._meta.db_table
    if connection.vendor == "postgresql":
        public_id = "t.public_id::text"
        json_cast = "::jsonb"
    else:
        # SQLite keeps UUIDs as 32 hex digits; ``record`` writes the dashed form.
        h = "t.public_id"
        public_id = (
            f"substr({h},1,8)||'-'||substr({h},9,4)||'-'||substr({h},13,4)||'-'||"
            f"substr({h},17,4)||'-'||substr({h},21,12)"
        )
        json_cast = ""
    fields = {f.attname for f in model._meta.concrete_fields}
    region = "t.region_id" if "region_id" in fields else "%s"
    region_param = [] if "region_id" in fields else [_region_id(None, actor)]
    at = connection.ops.adapt_datetimefield_value(timezone.now())
    written = 0
    for start in range(0, len(pks), 5000):
        chunk = list(pks[start : start + 5000])
        marks = ", ".join(["%s"] * len(chunk))
        sql = (
            f"INSERT INTO {audit_table} (at, actor_id, actor_label, action,"  # noqa: S608
            f" target_type, target_id, region_id, ip, before, after)"
            f" SELECT %s, %s, %s, %s, %s, {public_id}, {region}, %s,"
            f" %s{json_cast}, %s{json_cast} FROM {table} t"
            f" WHERE t.id IN ({marks})"
        )
        params = [
            at,
            actor.pk if actor else None,
            _label(acting_user),
            action.value,
            model.__name__,
            *region_param,
            ip,
            "{}",
            json.dumps(after or {}, ensure_ascii=False),
            *chunk,
        ]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            written += cursor.rowcount
    transaction.on_commit(chain_pending, robust=True)
    return written


def _write_linked(
    action: AuditAction,
    acting_user: Any,
    actor: Any,
    model: type[Model],
    pks: Sequence[int],
    ip: str | None,
    after: dict[str, Any] | None,
) -> int:
    """``record_many`` inside ``linked_before_commit``: the rows are written
    with their place in the chain, not written and then linked.

    This transaction holds the chain lock, so it may number the rows and hash
    them before they exist: ids drawn ahead (the table's sequence on
    PostgreSQL; past the largest ever given on SQLite, whose one writer this
    is), the canonical form of each row from the values it is written with
    (``_encode``, as ``_pending_rows`` reads them back), the rows appended by
    the database's bulk path (``core.bulk.append_rows``). Linking after the
    insert wrote every row twice (PostgreSQL's ``UPDATE … FROM (VALUES …)``:
    1.3 s of 8 per 20,000 pushed rows; this way 6, bench/bench_api_push.py).
    Rows still pending (this transaction's own single rows, a crash's) are
    linked first, so the chain keeps the order of the ids.
    """
    while _link_batch():
        pass
    head = AuditChainHead.objects.get(pk=1)  # locked by linked_before_commit
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    fields = {f.attname for f in model._meta.concrete_fields}
    region_column = ", region_id" if "region_id" in fields else ""
    fixed_region = None if region_column else _region_id(None, actor)
    at = timezone.now()
    after = after or {}
    fixed = {
        "at": at,
        "actor_id": actor.pk if actor else None,
        "actor_label": _label(acting_user),
        "action": action.value,
        "target_type": model.__name__,
        "ip": ip,
        "before": {},
        "after": after,
    }
    template = _template(fixed)
    # The values every row stores alike, as the database stores them.
    shared = (
        shared_value(connection.ops.adapt_datetimefield_value(at)),
        fixed["actor_id"],
        fixed["actor_label"],
        fixed["action"],
        fixed["target_type"],
    )
    after_json = json.dumps(after, ensure_ascii=False)
    seq, prev = head.seq, head.hash
    written = 0
    for start in range(0, len(pks), CHAIN_BATCH):
        chunk = pks[start : start + CHAIN_BATCH]
        marks = ", ".join(["%s"] * len(chunk))
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT id, public_id{region_column} FROM {table}"  # noqa: S608 the model's names
                f" WHERE id IN ({marks}) ORDER BY id",
                list(chunk),
            )
            targets = cursor.fetchall()
        ids = _draw_ids(len(targets))
        rows = []
        for event_id, target in zip(ids, targets, strict=True):
            seq += 1
            region = target[2] if region_column else fixed_region
            target_id = _dashed(target[1])
            text = template % (
                event_id,
                "null" if region is None else int(region),
                seq,
                target_id,
            )
            digest = chained(prev, text)
            # CHAIN_FIELDS' values, then the chain's own two.
            row = (event_id, seq, *shared, target_id, region, ip, "{}", after_json)
            rows.append((*row, prev, digest))
            prev = digest
        append_rows(
            connection,
            AuditEvent._meta.db_table,
            (*CHAIN_FIELDS, "prev_hash", "hash"),
            rows,
        )
        written += len(rows)
    head.seq, head.hash = seq, prev
    head.save(update_fields=["seq", "hash"])
    return written


def _draw_ids(count: int) -> list[int]:
    """``count`` new audit row ids, in order, for rows written with them."""
    table = AuditEvent._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id'))"
                " FROM generate_series(1, %s)",
                [table, count],
            )
            return sorted(row[0] for row in cursor.fetchall())
        # SQLite: this connection holds the database's one writer lock (the
        # transaction is IMMEDIATE); AUTOINCREMENT never gives an id again,
        # so draw past both the largest row and the largest id ever given.
        largest = (
            f"SELECT max(coalesce((SELECT max(id) FROM {table}), 0),"  # noqa: S608 the model's table
            " coalesce((SELECT seq FROM sqlite_sequence WHERE name = %s), 0))"
        )
        cursor.execute(largest, [table])
        last = int(cursor.fetchone()[0])
    return list(range(last + 1, last + 1 + count))


# ---------------------------------------------------------------- the chain


# What a row's hash covers, in the order of the canonical form's keys.
CHAIN_FIELDS = (
    "id",
    "seq",
    "at",
    "actor_id",
    "actor_label",
    "action",
    "target_type",
    "target_id",
    "region_id",
    "ip",
    "before",
    "after",
)


def _encode(row: dict[str, Any]) -> str:
    """The canonical text of one row given as ``CHAIN_FIELDS`` values."""
    return _json({**row, "v": 1, "at": _utc_text(row["at"])})


def _json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def _utc_text(at: datetime.datetime) -> str:
    return at.astimezone(datetime.UTC).isoformat(timespec="microseconds")


def _template(fixed: dict[str, Any]) -> str:
    """``_encode``'s text for the rows of a bulk write, as a %-format of the
    four values that differ from row to row: ``template % (id, region_id as
    JSON, seq, target_id)`` (the keys' sorted order). ``fixed`` holds every
    other chain field. The same text as ``_encode`` gives, built from the
    same pieces: a dict sorted by key is its pieces joined in key order.
    Encoding each row's dict whole was the largest Python cost of linking
    a 5,000-row batch (11 µs a row; bench/bench_api_push.py)."""
    row = {**fixed, "v": 1, "at": _utc_text(fixed["at"])}
    slots = {"id": "%s", "region_id": "%s", "seq": "%s", "target_id": '"%s"'}
    assert not slots.keys() & row.keys()  # noqa: S101 a caller's mistake
    pieces = []
    for key in sorted([*row, *slots]):
        name = json.dumps(key)
        if key in slots:
            pieces.append(f"{name}:{slots[key]}")
        else:
            pieces.append(f"{name}:{_json(row[key])}".replace("%", "%%"))
    return "{" + ",".join(pieces) + "}"


def _dashed(public_id: Any) -> str:
    """A public id as ``record`` writes it (the dashed form): PostgreSQL
    gives a UUID, SQLite the 32 hex digits it keeps."""
    if isinstance(public_id, uuid.UUID):
        return str(public_id)
    h = str(public_id)
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def canonical(event: AuditEvent) -> str:
    """The row's content as hashed: every field but the chain's own hashes.

    Chain format 1; the data migration that chained the first rows keeps a
    copy of it, so change neither without a new format number.
    """
    return _encode(
        {name: getattr(event, "pk" if name == "id" else name) for name in CHAIN_FIELDS}
    )


def chained(prev_hash: str, text: str) -> str:
    """The hash of a row whose canonical text is ``text``, after ``prev_hash``."""
    return hashlib.sha256(f"{prev_hash}\n{text}".encode()).hexdigest()


def link_hash(prev_hash: str, event: AuditEvent) -> str:
    return chained(prev_hash, canonical(event))


def _write_links(links: list[tuple[int, str, str, int]]) -> None:
    """Store (seq, prev_hash, hash, id) of a batch, in one statement or one batch.

    Not ``bulk_update``: its CASE expression cost 1.2 s per 1,000 rows to
    build (45 of the 53 s a 20,000-pension suspension run spent,
    bench/bench_cycle.py). PostgreSQL joins a VALUES list (one round trip; one
    UPDATE per row took 32 s for 159,000 rows); SQLite, in process, runs one
    prepared UPDATE per row (it plans the join as a scan).
    """
    table = AuditEvent._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            marks = ", ".join(["(%s, %s, %s, %s)"] * len(links))
            cursor.execute(
                f"UPDATE {table} SET seq = v.seq, prev_hash = v.prev,"  # noqa: S608 the model's table
                f" hash = v.hash FROM (VALUES {marks}) AS v(seq, prev, hash, id)"
                f" WHERE {table}.id = v.id",
                [x for link in links for x in link],
            )
        else:
            cursor.executemany(
                f"UPDATE {table} SET seq = %s, prev_hash = %s, hash = %s"  # noqa: S608 the model's table
                " WHERE id = %s",
                links,
            )


def _pending_rows() -> list[dict[str, Any]]:
    """Up to ``CHAIN_BATCH`` unlinked rows, oldest first, as ``CHAIN_FIELDS`` values.

    What ``.values(*CHAIN_FIELDS)`` returns, converted by the same converters
    (the backend's and the fields'), but each distinct stored value converted
    once: a set-based write gives thousands of rows one time and one ``after``,
    and parsing them row by row (datetimes, JSON) was a third of the chain's
    time. Plain values, not model instances: at 159,000 rows the instances
    were most of the chain's Python time (bench/bench_cycle.py).
    """
    opts = AuditEvent._meta
    by_attname = {f.attname: f for f in opts.concrete_fields}
    columns = [by_attname[name] for name in CHAIN_FIELDS]
    # (column, its converters, stored value -> converted value)
    converters: list[tuple[Any, list[Any], dict[Any, Any]]] = []
    for column in columns:
        col = column.get_col(opts.db_table)
        functions = connection.ops.get_db_converters(col)
        functions += col.get_db_converters(connection)
        converters.append((col, functions, {}))
    quote = connection.ops.quote_name
    names = ", ".join(quote(column.column) for column in columns)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {names} FROM {quote(opts.db_table)}"  # noqa: S608 the model's names
            f" WHERE {quote(by_attname['seq'].column)} IS NULL"
            f" ORDER BY {quote(opts.pk.column)} LIMIT %s",
            [CHAIN_BATCH],
        )
        fetched = cursor.fetchall()
    rows = []
    for values in fetched:
        row = {}
        for name, value, (col, functions, seen) in zip(
            CHAIN_FIELDS, values, converters, strict=True
        ):
            if functions:
                if value not in seen:
                    converted = value
                    for function in functions:
                        converted = function(converted, col, connection)
                    seen[value] = converted
                value = seen[value]
            row[name] = value
        rows.append(row)
    return rows


def _link_batch() -> int:
    """Link up to ``CHAIN_BATCH`` pending rows, oldest first, in the caller's
    transaction, under the head row's lock; how many."""
    head, _ = AuditChainHead.objects.select_for_update().get_or_create(pk=1)
    rows = _pending_rows()
    if not rows:
        return 0
    seq, prev = head.seq, head.hash
    links = []
    for row in rows:
        seq += 1
        row["seq"] = seq
        digest = chained(prev, _encode(row))
        links.append((seq, prev, digest, row["id"]))
        prev = digest
    _write_links(links)
    head.seq, head.hash = seq, prev
    head.save(update_fields=["seq", "hash"])
    return len(rows)


def chain_pending() -> int:
    """Link every committed row not yet in the chain, oldest first; the count.

    Runs after each commit that wrote audit rows. The head row's lock makes
    appenders take turns (on SQLite the write transaction itself does).
    """
    linked = 0
    while True:
        with transaction.atomic():
            batch = _link_batch()
        if not batch:
            return linked
        linked += batch


@contextlib.contextmanager
def linked_before_commit() -> Iterator[None]:
    """A transaction whose audit rows are linked before it commits.

    For bulk writers of bounded size only (a 数据比对 batch of
    ``evidence.LINK_IN_BATCH_ROWS`` rows; a 200,000-row import would hold the
    lock too long and links after commit): linked after commit, their rows are
    written twice — at their own commit,
    then again with their links at the chain's — and every batch pays two
    commits. Here the chain lock is taken **first**, before the block takes
    any row lock, and held until the transaction ends; the block's pending
    rows (and any committed ones still unlinked) are linked at its end. The
    lock order stays one-way: this transaction may wait for row locks while
    holding the chain lock, but nobody holding row locks waits for the chain
    lock, since everyone else takes it only after their commit
    (``chain_pending``), holding nothing. The price is that those others'
    linking waits until this transaction ends. Enter it at the start of the
    outermost transaction that will take row locks; a rollback undoes the
    links with the rows. On SQLite the write transaction already serialises
    writers; the lock is a plain read there.
    """
    with transaction.atomic():
        AuditChainHead.objects.select_for_update().get_or_create(pk=1)
        outer = getattr(connection, LINKING, False)
        setattr(connection, LINKING, True)  # record_many writes its rows linked
        try:
            yield
        finally:
            setattr(connection, LINKING, outer)
        while _link_batch():
            pass


@dataclasses.dataclass
class ChainReport:
    checked: int
    unlinked: int
    broken_seq: int | None = None
    broken_id: int | None = None
    reason: str = ""

    @property
    def ok(self) -> bool:
        return self.broken_seq is None


def verify_chain() -> ChainReport:
    """Re-compute the chain from the first row; stop at the first broken link."""
    unlinked = AuditEvent.objects.filter(seq=None).count()
    head = AuditChainHead.objects.filter(pk=1).first()
    expected, prev, checked = 1, GENESIS, 0
    rows = AuditEvent.objects.exclude(seq=None).order_by("seq")
    for event in rows.iterator(chunk_size=2000):
        if event.seq != expected:
            return ChainReport(
                checked,
                unlinked,
                expected,
                None,
                f"第 {expected} 条缺失（被删除），下一条是第 {event.seq} 条"
                f"（id {event.pk}）",
            )
        if event.prev_hash != prev:
            return ChainReport(
                checked,
                unlinked,
                event.seq,
                event.pk,
                "与上一条的链接不符（前一条被删除或替换）",
            )
        if link_hash(prev, event) != event.hash:
            return ChainReport(
                checked, unlinked, event.seq, event.pk, "内容被修改（哈希不符）"
            )
        prev, expected, checked = event.hash, expected + 1, checked + 1
    head_seq = head.seq if head else 0
    head_hash = head.hash if head else GENESIS
    if head_seq != checked or head_hash != prev:
        return ChainReport(
            checked,
            unlinked,
            checked + 1,
            None,
            f"链尾缺失：链头记录到第 {head_seq} 条，实际只有 {checked} 条",
        )
    return ChainReport(checked, unlinked)
