"""The row-level evidence service under the Excel imports and the API."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from lifecert.certification import evidence
from lifecert.certification.evidence import EvidenceRow, Kind, apply_rows
from lifecert.certification.imports import import_comparison, sheet_rows
from lifecert.certification.models import (
    BackPay,
    Certification,
    DeathAfterCertificationCase,
)
from lifecert.certification.services import OVERDUE_REASON, new_receipt_codes
from lifecert.core.models import AuditEvent
from lifecert.demo.testing import (
    make_entitlement,
    make_person,
    make_region,
    xlsx_upload,
)
from lifecert.registry.imports import ImportRejected
from lifecert.registry.models import Entitlement

pytestmark = pytest.mark.django_db
TODAY = datetime.date(2026, 6, 15)


def _day(days_ago: int) -> datetime.date:
    return timezone.localdate() - datetime.timedelta(days=days_ago)


def _row(person, day, number=1, source="医保就医"):
    return EvidenceRow(number, person.ssn, person.name, day, day.isoformat(), source)


def _apply(rows, regions, **kwargs):
    return apply_rows(
        Kind.COMPARISON, rows, acting_user=None, regions=regions, **kwargs
    )


def test_a_batch_certifies_in_bulk_with_one_audit_row_per_certification(personas):
    others = [make_entitlement(region=personas.region) for _ in range(4)]
    rows = [_row(e.person, _day(3), n) for n, e in enumerate(others, start=1)]
    result = _apply(rows, [personas.region])
    assert (result.rows, result.changed, result.skipped) == (4, 4, 0)
    certifications = Certification.objects.order_by("id")
    assert certifications.count() == 4
    assert len({c.receipt_code for c in certifications}) == 4
    assert all(c.evidence == {"source": "医保就医"} for c in certifications)
    assert AuditEvent.objects.filter(action="certification.create").count() == 4
    assert (
        AuditEvent.objects.filter(
            action="certification.create", region_id=personas.region.pk
        ).count()
        == 4
    )
    for e in others:
        e.refresh_from_db()
        assert timezone.localdate(e.last_certified_at) == _day(3)


def test_a_person_twice_in_a_batch_counts_in_order(personas, monkeypatch):
    monkeypatch.setattr(evidence, "CHUNK", 2)  # and across statement batches
    p = personas.pensioner
    rows = [_row(p, _day(9), 1), _row(p, _day(5), 2), _row(p, _day(7), 3)]
    result = _apply(rows, [personas.region])
    assert (result.changed, result.skipped) == (2, 1)
    personas.entitlement.refresh_from_db()
    assert timezone.localdate(personas.entitlement.last_certified_at) == _day(5)


def test_a_suspended_pension_resumes_with_back_pay_inside_a_batch(personas):
    e = personas.entitlement
    e.status, e.status_reason = Entitlement.Status.SUSPENDED, OVERDUE_REASON
    e.status_since = timezone.localdate().replace(day=1) - datetime.timedelta(days=62)
    e.save()
    plain = make_entitlement(region=personas.region)
    rows = [
        _row(plain.person, _day(2), 1),
        _row(personas.pensioner, _day(4), 2),
        _row(personas.pensioner, _day(1), 3),  # after the resumption: a plain row
    ]
    result = _apply(rows, [personas.region])
    assert result.changed == 3
    e.refresh_from_db()
    assert e.status == Entitlement.Status.NORMAL
    assert timezone.localdate(e.last_certified_at) == _day(1)
    back_pay = BackPay.objects.get(entitlement=e)
    assert back_pay.months >= 2
    assert back_pay.amount == e.monthly_amount * back_pay.months


def test_a_certification_after_a_recorded_death_opens_a_case(personas):
    person = make_person(name="吕故人", death_date=_day(30))
    e = make_entitlement(person=person, region=personas.region)
    result = _apply([_row(person, _day(3))], [personas.region])
    assert result.changed == 1
    case = DeathAfterCertificationCase.objects.get()
    assert case.channel == "data"
    e.refresh_from_db()
    assert e.last_certified_at is None


def test_terminated_and_older_evidence_is_skipped(personas):
    ended = make_entitlement(
        region=personas.region, status=Entitlement.Status.TERMINATED
    )
    _apply([_row(personas.pensioner, _day(2))], [personas.region])
    result = _apply(
        [_row(ended.person, _day(2), 1), _row(personas.pensioner, _day(5), 2)],
        [personas.region],
    )
    assert (result.changed, result.skipped) == (0, 2)


def test_a_dry_run_returns_the_counts_and_keeps_nothing(personas):
    result = _apply(
        [_row(personas.pensioner, _day(2))], [personas.region], dry_run=True
    )
    assert result.dry_run
    assert result.changed == 1
    assert not Certification.objects.exists()
    assert not AuditEvent.objects.exists()


def test_the_excel_import_takes_the_same_dry_run(personas):
    upload = xlsx_upload(
        ["社会保障号码", "姓名", "比对日期", "数据来源"],
        [[personas.pensioner.ssn, "杨书维", _day(2), "交通出行"]],
    )
    data = upload.read()
    preview = import_comparison(
        data, acting_user=personas.staff, regions=[personas.region], dry_run=True
    )
    assert (preview.changed, preview.dry_run) == (1, True)
    assert not Certification.objects.exists()
    done = import_comparison(
        data, acting_user=personas.staff, regions=[personas.region]
    )
    assert done.changed == 1
    assert Certification.objects.get().evidence == {"source": "交通出行"}


def test_sheet_errors_keep_one_line_per_row(personas):
    upload = xlsx_upload(
        ["社会保障号码", "姓名", "比对日期", "数据来源"],
        [["440106195505150011", "无此人", "不是日期", ""]],
    )
    with pytest.raises(ImportRejected) as raised:
        import_comparison(
            upload.read(), acting_user=personas.staff, regions=[personas.region]
        )
    ((row, message),) = raised.value.errors
    assert row == 2
    assert "没有养老待遇" in message
    assert "；比对日期“不是日期”不是有效日期" in message


def test_sheet_rows_refuse_missing_columns_and_empty_sheets():
    with pytest.raises(ImportRejected):
        sheet_rows(xlsx_upload(["姓名"], [["x"]]).read(), Kind.DEATHS)
    with pytest.raises(ImportRejected):
        sheet_rows(
            xlsx_upload(["社会保障号码", "姓名", "死亡日期"], []).read(), Kind.DEATHS
        )


def test_receipt_codes_in_bulk_are_of_the_alphabet_and_distinct():
    codes = new_receipt_codes(500)
    assert len(set(codes)) == 500
    assert all(
        len(c) == 16 and set(c) <= set("23456789ABCDEFGHJKLMNPQRSTUVWXYZ")
        for c in codes
    )


def test_only_entitlements_in_the_callers_regions_count(personas):
    shenzhen = make_region("440300")
    both = make_person(name="冯两地")
    here = make_entitlement(person=both, region=personas.region)
    there = make_entitlement(person=both, region=shenzhen)
    elsewhere = make_entitlement(person=make_person(name="褚外地"), region=shenzhen)
    result = _apply([_row(both, _day(3))], [personas.region])
    assert result.changed == 1
    assert list(Certification.objects.values_list("entitlement_id", flat=True)) == [
        here.pk
    ]
    there.refresh_from_db()
    assert there.last_certified_at is None
    with pytest.raises(evidence.EvidenceRejected) as raised:
        _apply([_row(elsewhere.person, _day(3))], [personas.region])
    assert [e.code for e in raised.value.errors] == ["not_found"]


def test_sheet_rows_read_full_width_dates_and_refuse_formula_numbers():
    header = ["社会保障号码", "姓名", "死亡日期"]
    (row,) = sheet_rows(
        xlsx_upload(
            header,
            [["４３０６０３１９９２０３０１２０３Ｘ", "李", "２０２６．０１．０５"]],
        ).read(),
        Kind.DEATHS,
    )
    assert (row.ssn, str(row.date)) == ("43060319920301203X", "2026-01-05")
    with pytest.raises(ImportRejected) as raised:
        sheet_rows(
            xlsx_upload(header, [["=A3", "李", "2026-01-05"]]).read(), Kind.DEATHS
        )
    assert raised.value.errors == [
        (2, "社会保障号码：单元格是公式（=A3），请填写号码本身")
    ]


def test_numbers_that_look_like_array_syntax_match_nothing_but_themselves(personas):
    """On PostgreSQL the numbers travel as one array (``evidence._listed``):
    a quote, a comma, braces, a backslash or the word NULL in a number is a
    number that is not registered, and the good row beside them still matches."""
    odd = ["NULL", "a,b", "{1}", 'q"q', "back\\slash", "O'Brien", ""]
    person = personas.pensioner
    rows = [_row(person, _day(3), 1)] + [
        EvidenceRow(n, ssn, person.name, _day(3), _day(3).isoformat(), "医保就医")
        for n, ssn in enumerate(odd, start=2)
    ]
    with (
        pytest.raises(evidence.EvidenceRejected) as raised,
        CaptureQueriesContext(connection) as queries,
    ):
        _apply(rows, [personas.region])
    assert [(e.row, e.code) for e in raised.value.errors] == [
        (n, "not_found") for n in range(2, len(odd) + 2)
    ]
    matched = [q["sql"] for q in queries.captured_queries if "ssn" in q["sql"]]
    assert len(matched) == 1
    assert ("unnest" in matched[0]) == (connection.vendor == "postgresql")
    assert evidence.check_rows(Kind.COMPARISON, rows[:1], [personas.region])
