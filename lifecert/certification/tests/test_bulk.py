"""Set-based certifications store what the ORM would store, on both databases."""

import datetime
import uuid

import pytest

from lifecert.certification import bulk
from lifecert.certification.bulk import insert_certifications
from lifecert.certification.models import Certification, Channel
from lifecert.demo.testing import make_entitlement

pytestmark = pytest.mark.django_db


def test_each_row_is_one_certification_as_the_orm_reads_it(monkeypatch):
    monkeypatch.setattr(bulk, "ROWS_PER_INSERT", 2)  # and across statements
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
