"""A large 数据比对 batch links its audit rows before it commits, the chain
lock taken before any entitlement is locked; a small one leaves them to the
link after commit (``audit.chain_pending``), as every other writer does."""

import datetime

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from lifecert.certification import evidence
from lifecert.certification.evidence import EvidenceRow, Kind, apply_rows
from lifecert.core import audit
from lifecert.core.models import AuditChainHead, AuditEvent
from lifecert.demo.testing import make_entitlement

pytestmark = pytest.mark.django_db


def _rows(region, count):
    day = timezone.localdate() - datetime.timedelta(days=3)
    people = [make_entitlement(region=region).person for _ in range(count)]
    return [
        EvidenceRow(n, p.ssn, p.name, day, day.isoformat(), "医保就医")
        for n, p in enumerate(people, start=1)
    ]


def _apply(rows, region, **kwargs):
    return apply_rows(
        Kind.COMPARISON, rows, acting_user=None, regions=[region], **kwargs
    )


def test_a_large_batch_is_linked_inside_its_own_transaction(personas, monkeypatch):
    monkeypatch.setattr(evidence, "LINK_IN_BATCH_ROWS", range(3, 5))
    audit.chain_pending()  # the fixtures' rows
    linked_before = AuditChainHead.objects.get(pk=1).seq
    # The test's transaction never commits: only linking before commit links.
    result = _apply(_rows(personas.region, 3), personas.region)
    assert result.changed == 3
    assert not AuditEvent.objects.filter(seq=None).exists()
    # Three certifications and the import's own row, in order.
    new = AuditEvent.objects.filter(seq__gt=linked_before).order_by("seq")
    assert [e.action for e in new] == ["certification.create"] * 3 + [
        "import.comparison"
    ]
    assert [e.seq for e in new] == list(range(linked_before + 1, linked_before + 5))
    assert audit.verify_chain().ok


def test_a_small_batch_leaves_its_rows_to_the_link_after_commit(
    personas, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(evidence, "LINK_IN_BATCH_ROWS", range(3, 5))
    with django_capture_on_commit_callbacks() as callbacks:
        _apply(_rows(personas.region, 2), personas.region)
        assert AuditEvent.objects.filter(seq=None).count() >= 3
    assert audit.chain_pending in callbacks


def test_a_batch_above_the_range_is_linked_after_commit_too(
    personas, monkeypatch, django_capture_on_commit_callbacks
):
    """A very large import would hold the chain lock, and every other writer's
    link, for its whole transaction: it links after commit like a small one."""
    monkeypatch.setattr(evidence, "LINK_IN_BATCH_ROWS", range(1, 3))
    with django_capture_on_commit_callbacks(execute=True):
        _apply(_rows(personas.region, 3), personas.region)
        assert AuditEvent.objects.filter(seq=None).count() >= 4
    assert not AuditEvent.objects.filter(seq=None).exists()
    assert audit.verify_chain().ok


def test_the_chain_lock_comes_before_the_entitlement_locks(personas, monkeypatch):
    monkeypatch.setattr(evidence, "LINK_IN_BATCH_ROWS", range(2, 5))
    rows = _rows(personas.region, 2)
    with CaptureQueriesContext(connection) as queries:
        _apply(rows, personas.region)
    statements = [q["sql"] for q in queries.captured_queries]
    head = next(i for i, s in enumerate(statements) if "core_auditchainhead" in s)
    locked = next(
        i
        for i, s in enumerate(statements)
        if "registry_entitlement" in s and "status_reason" in s
    )
    written = next(i for i, s in enumerate(statements) if "INSERT INTO" in s)
    assert head < locked < written
    if connection.features.has_select_for_update:
        assert "FOR UPDATE" in statements[head]
        # The match locks what the rules read: no second look at them.
        assert "FOR UPDATE" in statements[locked]
        assert "ssn" in statements[locked]
        assert not any(
            "registry_entitlement" in s and "FOR UPDATE" in s
            for s in statements[locked + 1 : written]
        )


def test_a_large_dry_run_links_nothing(personas, monkeypatch):
    monkeypatch.setattr(evidence, "LINK_IN_BATCH_ROWS", range(2, 5))
    audit.chain_pending()
    head = AuditChainHead.objects.get(pk=1)
    result = _apply(_rows(personas.region, 2), personas.region, dry_run=True)
    assert result.dry_run
    assert result.changed == 2
    assert AuditChainHead.objects.get(pk=1).seq == head.seq
    assert not AuditEvent.objects.filter(seq=None).exists()


def test_a_large_batch_that_fails_links_nothing(personas, monkeypatch):
    monkeypatch.setattr(evidence, "LINK_IN_BATCH_ROWS", range(2, 5))
    audit.chain_pending()
    head = AuditChainHead.objects.get(pk=1)

    # The import's own audit row cannot be written (its details are no JSON):
    # the transaction rolls back with the links it made.
    with pytest.raises(TypeError):
        _apply(_rows(personas.region, 2), personas.region, audit_extra={"x": object()})
    assert AuditChainHead.objects.get(pk=1).seq == head.seq
    assert not AuditEvent.objects.filter(seq__gt=head.seq).exists()


@pytest.mark.django_db(transaction=True)
def test_a_large_batch_and_other_writers_keep_one_chain(monkeypatch):
    """Committed for real, in threads: the batch holds the chain lock from its
    start, the others link after their commits, and nobody deadlocks."""
    import threading

    from django.db import transaction

    from lifecert.core.audit_actions import AuditAction
    from lifecert.demo import testing

    monkeypatch.setattr(evidence, "LINK_IN_BATCH_ROWS", range(2, 100))
    region = testing.make_region()
    staff = testing.make_staff_user(username="chain_writer")
    rows = _rows(region, 6)
    errors = []

    def batch():
        try:
            _apply(rows, region)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    def writer(n):
        try:
            for i in range(3):
                with transaction.atomic():
                    audit.record(
                        AuditAction.ENTITLEMENT_STATUS,
                        acting_user=staff,
                        after={"writer": n, "i": i},
                    )
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=batch)]
    threads += [threading.Thread(target=writer, args=(n,)) for n in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert not AuditEvent.objects.filter(seq=None).exists()
    assert AuditEvent.objects.filter(action="certification.create").count() == 6
    report = audit.verify_chain()
    assert report.ok
    assert report.checked == AuditEvent.objects.count()


def test_a_big_batch_crosses_chunks_and_its_chain_verifies(personas, monkeypatch):
    """Several statement chunks, each through the temporary table, a resumed
    pension in the middle (written on its own), all linked before commit."""
    from decimal import Decimal

    from lifecert.certification.models import BackPay, Certification
    from lifecert.certification.services import OVERDUE_REASON
    from lifecert.demo.testing import make_ssn
    from lifecert.registry.models import Entitlement, Person

    monkeypatch.setattr(evidence, "CHUNK", 250)
    monkeypatch.setattr(evidence, "LINK_IN_BATCH_ROWS", range(500, 1000))
    audit.chain_pending()
    people = Person.objects.bulk_create(
        Person(ssn=make_ssn(), name=f"批量{n}", phone="13800138000") for n in range(600)
    )
    start = datetime.date(2015, 1, 1)
    entitlements = Entitlement.objects.bulk_create(
        Entitlement(
            person=p,
            region=personas.region,
            monthly_amount=Decimal("3200.00"),
            start_date=start,
            status=Entitlement.Status.NORMAL,
        )
        for p in people
    )
    middle = entitlements[300]
    Entitlement.objects.filter(pk=middle.pk).update(
        status=Entitlement.Status.SUSPENDED,
        status_reason=OVERDUE_REASON,
        status_since=timezone.localdate() - datetime.timedelta(days=40),
    )
    day = timezone.localdate() - datetime.timedelta(days=3)
    rows = [
        EvidenceRow(n, p.ssn, p.name, day, day.isoformat(), "医保就医")
        for n, p in enumerate(people, start=1)
    ]
    result = _apply(rows, personas.region)
    assert (result.rows, result.changed, result.skipped) == (600, 600, 0)
    assert not AuditEvent.objects.filter(seq=None).exists()
    new = Certification.objects.filter(entitlement__in=entitlements)
    assert new.count() == 600
    assert set(new.values_list("entitlement_id", flat=True)) == {
        e.pk for e in entitlements
    }
    assert BackPay.objects.filter(entitlement_id=middle.pk).exists()
    assert AuditEvent.objects.filter(action="certification.create").count() == 600
    report = audit.verify_chain()
    assert report.ok
    assert report.checked == AuditEvent.objects.count()


def test_a_batch_runs_its_statements_without_garbage_collection(personas):
    """Full collections in a bulk write free nothing and cost seconds
    (``core/collector.py``); the collector is back on after, even after an
    error."""
    import gc

    seen = []

    def watch(execute, sql, params, many, context):
        seen.append(gc.isenabled())
        return execute(sql, params, many, context)

    rows = _rows(personas.region, 3)
    assert gc.isenabled()
    with connection.execute_wrapper(watch):
        _apply(rows, personas.region)
    assert seen
    assert not any(seen)
    assert gc.isenabled()
    bad = [EvidenceRow(1, "440101199001011234", "无此人", None, "x", "")]
    with pytest.raises(evidence.EvidenceRejected):
        _apply(bad, personas.region)
    assert gc.isenabled()


@pytest.mark.skipif(connection.vendor != "sqlite", reason="a PRAGMA of SQLite")
def test_a_batch_larger_than_linking_runs_with_the_large_page_cache(
    personas, monkeypatch
):
    """An Excel file of 20,001 to 200,000 rows: on SQLite its transaction, to
    the commit, keeps its pages in a cache of IMPORT_SQLITE_CACHE_MIB; the
    connection's own size is back after. A smaller batch keeps the connection's."""
    monkeypatch.setattr(evidence, "LINK_IN_BATCH_ROWS", range(1, 3))

    def cache_size():
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA cache_size")
            return cursor.fetchone()[0]

    sizes = []

    def watch(execute, sql, params, many, context):
        if sql.startswith('INSERT INTO "certification_certification"'):
            sizes.append(cache_size())
        return execute(sql, params, many, context)

    before = cache_size()
    large, small = _rows(personas.region, 3), _rows(personas.region, 2)
    with connection.execute_wrapper(watch):
        _apply(large, personas.region)
        _apply(small, personas.region)
    assert sizes == [-settings.IMPORT_SQLITE_CACHE_MIB * 1024, before]
    assert cache_size() == before
