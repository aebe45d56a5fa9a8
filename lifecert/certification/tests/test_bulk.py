"""Set-based certifications store what the ORM would store, on both databases."""

import datetime
import uuid

import pytest
from django.db import connection, transaction

from lifecert.certification.bulk import insert_certifications
from lifecert.certification.models import Certification, Channel
from lifecert.demo.testing import make_entitlement

pytestmark = pytest.mark.django_db


def test_each_row_is_one_certification_as_the_orm_reads_it():
    entitlements = [make_entitlement() for _ in range(5)]
    at = datetime.datetime(2026, 3, 1, 4, 0, 0, 123456, tzinfo=datetime.UTC)
    later = at + datetime.timedelta(days=1)
    shared, other = {"source": "医保就医"}, {"source": "交通出行", "batch_id": "b-1"}
    rows = [
        (
            e.person_id,
            e.region_id,
            e.pk,
            later if n == 4 else at,
            other if n else shared,
        )
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
        assert c.public_id.version == 4
        assert len(c.receipt_code) == 16
    # Found by its public id as the ORM writes it (the receipt check page does).
    c = stored[entitlements[0].pk]
    assert Certification.objects.get(public_id=c.public_id).pk == c.pk
    assert len({c.public_id for c in stored.values()}) == 5


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
    rows = [(e.person_id, e.region_id, e.pk, at, proof) for e in entitlements]
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


def test_ids_come_back_in_the_order_of_the_rows_and_twice_in_one_transaction():
    entitlements = [make_entitlement() for _ in range(4)]
    at = datetime.datetime(2026, 3, 1, 4, tzinfo=datetime.UTC)
    proof = {"source": "医保就医"}
    with transaction.atomic():  # the temporary table is gone after each call
        for order in (entitlements, entitlements[::-1]):
            rows = [(e.person_id, e.region_id, e.pk, at, proof) for e in order]
            ids = insert_certifications(rows, channel=Channel.DATA, operator_name="")
            assert ids == sorted(ids)
            found = dict(
                Certification.objects.filter(pk__in=ids).values_list(
                    "pk", "entitlement_id"
                )
            )
            assert [found[pk] for pk in ids] == [e.pk for e in order]
    assert Certification.objects.count() == 8
