"""Set-based certifications store what the ORM would store, on both databases."""

import datetime
import uuid

import pytest
from django.db import connection, transaction

from lifecert.certification.bulk import insert_certifications, page_cache, staged
from lifecert.certification.models import Certification, Channel
from lifecert.demo.testing import make_entitlement
from lifecert.registry.models import Entitlement

pytestmark = pytest.mark.django_db


def test_each_row_is_one_certification_as_the_orm_reads_it():
    entitlements = [make_entitlement() for _ in range(5)]
    at = datetime.datetime(2026, 3, 1, 4, 0, 0, 123456, tzinfo=datetime.UTC)
    later = at + datetime.timedelta(days=1)
    shared, other = {"source": "医保就医"}, {"source": "交通出行", "batch_id": "b-1"}
    rows = [
        (e.pk, later if n == 4 else at, other if n else shared)
        for n, e in enumerate(entitlements)
    ]
    ids = insert_certifications(rows, channel=Channel.DATA, operator_name="数据比对")
    assert len(ids) == 5
    stored = {c.entitlement_id: c for c in Certification.objects.filter(pk__in=ids)}
    assert len(stored) == 5
    for n, e in enumerate(entitlements):
        c = stored[e.pk]
        assert (c.person_id, c.region_id) == (e.person_id, e.region_id)
        assert c.certified_at == (later if n == 4 else at)
        assert c.evidence == (other if n else shared)
        assert (c.channel, c.operator_name) == (Channel.DATA, "数据比对")
        assert c.operator_id is None
        assert c.unit_id is None
        assert isinstance(c.public_id, uuid.UUID)
        assert c.public_id.version == 7
        assert len(c.receipt_code) == 16
    # Found by its public id as the ORM writes it (the receipt check page does).
    c = stored[entitlements[0].pk]
    assert Certification.objects.get(public_id=c.public_id).pk == c.pk
    assert len({c.public_id for c in stored.values()}) == 5


def test_public_ids_sort_in_the_order_the_certifications_were_made():
    # Time-ordered ids keep a batch's entries side by side in the unique index;
    # random ones would scatter them over its pages. Two batches and then one
    # certification through the ORM, as a counter makes it.
    entitlements = [make_entitlement() for _ in range(41)]
    at = datetime.datetime(2026, 3, 1, 4, 0, tzinfo=datetime.UTC)
    rows = [(e.pk, at, {"source": "医保就医"}) for e in entitlements[:40]]
    ids = insert_certifications(rows[:20], channel=Channel.DATA, operator_name="")
    ids += insert_certifications(rows[20:], channel=Channel.DATA, operator_name="")
    last = entitlements[40]
    single = Certification.objects.create(
        person_id=last.person_id,
        region_id=last.region_id,
        entitlement=last,
        certified_at=at,
        channel=Channel.COUNTER,
    )
    made = list(
        Certification.objects.filter(pk__in=[*ids, single.pk])
        .order_by("pk")
        .values_list("public_id", flat=True)
    )
    assert len(made) == 41
    assert made == sorted(made)
    assert {p.version for p in made} == {7}
    assert len(set(made)) == 41


def test_no_rows_write_nothing():
    assert insert_certifications([], channel=Channel.DATA, operator_name="") == []
    assert not Certification.objects.exists()


def _stored(ids):
    """Every column but the id, as the database keeps it, in the order of ``ids``."""
    table = Certification._meta.db_table
    names = [f.column for f in Certification._meta.concrete_fields if f.column != "id"]
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id, {', '.join(names)} FROM {table}"  # noqa: S608 the model's names
            f" WHERE id IN ({', '.join(['%s'] * len(ids))})",
            ids,
        )
        by_id = {row[0]: row[1:] for row in cursor.fetchall()}
    return [by_id[pk] for pk in ids]


def test_the_temporary_table_stores_what_the_orm_stores():
    """Byte for byte, on either database: the UUID's stored form, the time's,
    the JSON text; the same rows the ORM's own INSERT writes."""
    entitlements = [make_entitlement() for _ in range(3)]
    at = datetime.datetime(2026, 3, 1, 4, 0, 0, 123456, tzinfo=datetime.UTC)
    proof = {"source": "民政", "批次": "b-2", "n": [1, 2.5, None]}
    rows = [(e.pk, at, proof) for e in entitlements]
    ids = insert_certifications(rows, channel=Channel.DATA, operator_name="数据比对")
    bulk_rows = _stored(ids)
    written = list(Certification.objects.filter(pk__in=ids).order_by("pk"))
    Certification.objects.filter(pk__in=ids).delete()
    orm = [
        Certification.objects.create(
            public_id=c.public_id,
            receipt_code=c.receipt_code,
            person_id=c.person_id,
            region_id=c.region_id,
            entitlement_id=c.entitlement_id,
            certified_at=at,
            channel=Channel.DATA,
            operator_name="数据比对",
            evidence=proof,
        ).pk
        for c in written
    ]
    assert _stored(orm) == bulk_rows


def test_rows_are_inserted_in_entitlement_order_and_twice_in_one_transaction():
    """Each entitlement's index pages are then written in key order (fewer
    pages dirtied in a large import); a person's rows keep their order."""
    entitlements = [make_entitlement() for _ in range(4)]
    at = datetime.datetime(2026, 3, 1, 4, tzinfo=datetime.UTC)
    later = at + datetime.timedelta(days=1)
    proof = {"source": "医保就医"}
    with transaction.atomic():  # the temporary table is gone after each call
        for order in (entitlements, entitlements[::-1]):
            rows = [(e.pk, at, proof) for e in order] + [(order[0].pk, later, proof)]
            ids = insert_certifications(rows, channel=Channel.DATA, operator_name="")
            assert ids == sorted(ids)
            found = dict(
                Certification.objects.filter(pk__in=ids).values_list(
                    "pk", "entitlement_id"
                )
            )
            assert [found[pk] for pk in ids] == sorted(
                [e.pk for e in entitlements] + [order[0].pk]
            )
            again = [pk for pk in ids if found[pk] == order[0].pk]
            assert Certification.objects.get(pk=again[-1]).certified_at == later
    assert Certification.objects.count() == 10


def _cache_size():
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        return cursor.fetchone()[0]


@pytest.mark.skipif(connection.vendor != "sqlite", reason="a PRAGMA of SQLite")
def test_the_page_cache_is_larger_for_the_with_and_back_after_even_after_an_error():
    before = _cache_size()
    with page_cache(1024 * 1024):
        assert _cache_size() == -1024 * 1024
    assert _cache_size() == before
    with pytest.raises(RuntimeError), page_cache(2048):
        raise RuntimeError
    assert _cache_size() == before
    with page_cache(None):
        assert _cache_size() == before


def test_the_page_cache_is_sqlites_alone():
    statements = []

    def watch(execute, sql, params, many, context):
        statements.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(watch), page_cache(1024):
        pass
    assert bool(statements) == (connection.vendor == "sqlite")


def _stored_last(pks):
    """``last_certified_at`` as the database keeps it, in the order of ``pks``."""
    table = Entitlement._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id, last_certified_at FROM {table}"  # noqa: S608 the model's name
            f" WHERE id IN ({', '.join(['%s'] * len(pks))})",
            pks,
        )
        by_id = dict(cursor.fetchall())
    return [by_id[pk] for pk in pks]


def test_each_entitlement_moves_to_its_latest_row_as_the_orm_would_store_it():
    """The UPDATE joined to the staged rows stores, byte for byte, what the
    ORM's own UPDATE stores; a person twice takes the later time."""
    first, second = make_entitlement(), make_entitlement()
    at = datetime.datetime(2026, 3, 1, 4, 0, 0, 123456, tzinfo=datetime.UTC)
    later = datetime.datetime(2026, 3, 2, 4, tzinfo=datetime.UTC)
    proof = {"source": "医保就医"}
    rows = [(first.pk, at, proof), (second.pk, at, proof), (first.pk, later, proof)]
    insert_certifications(rows, channel=Channel.DATA, operator_name="数据比对")
    joined = _stored_last([first.pk, second.pk])
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.last_certified_at, second.last_certified_at) == (later, at)
    Entitlement.objects.filter(pk=first.pk).update(last_certified_at=later)
    Entitlement.objects.filter(pk=second.pk).update(last_certified_at=at)
    assert _stored_last([first.pk, second.pk]) == joined


def test_a_run_writes_its_rows_but_the_dropped_ones():
    entitlements = [make_entitlement() for _ in range(5)]
    at = datetime.datetime(2026, 3, 1, 4, tzinfo=datetime.UTC)
    proof = {"source": "医保就医"}
    with staged([(e.pk, at, proof) for e in entitlements]) as stage:
        stage.drop([2])
        stage.drop([])
        ids = stage.certify(1, 4, channel=Channel.DATA, operator_name="")
    written = Certification.objects.filter(pk__in=ids)
    assert [written.get(pk=pk).entitlement_id for pk in ids] == [
        entitlements[1].pk,
        entitlements[3].pk,
    ]
    assert Certification.objects.count() == 2
    moved = Entitlement.objects.exclude(last_certified_at=None)
    assert set(moved.values_list("pk", flat=True)) == {
        entitlements[1].pk,
        entitlements[3].pk,
    }


def test_a_failure_inside_leaves_neither_the_table_nor_the_rows():
    e = make_entitlement()
    at = datetime.datetime(2026, 3, 1, 4, tzinfo=datetime.UTC)
    proof = {"source": "医保就医"}

    def fail_after_writing() -> None:
        with staged([(e.pk, at, proof)]) as stage:
            stage.certify(0, 1, channel=Channel.DATA, operator_name="")
            raise RuntimeError

    with transaction.atomic():
        with pytest.raises(RuntimeError):
            fail_after_writing()
        assert not Certification.objects.exists()
        # The table is gone: the next batch in the same transaction makes it anew.
        ids = insert_certifications(
            [(e.pk, at, proof)], channel=Channel.DATA, operator_name=""
        )
    assert Certification.objects.get().pk == ids[0]
