"""What a registry import may change: whose people, which dates, the template."""

import datetime
import io

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from lifecert.certification import cycle
from lifecert.certification.models import Certification, Channel
from lifecert.certification.services import OVERDUE_REASON, record_certification
from lifecert.core.models import AuditEvent
from lifecert.demo.testing import (
    make_entitlement,
    make_person,
    make_ssn,
    make_staff_user,
)
from lifecert.registry.imports import EXAMPLE_SSN
from lifecert.registry.models import Entitlement, Person

from .import_helpers import URL, confirm, everything, preview, row, xlsx

pytestmark = pytest.mark.django_db
TODAY = datetime.datetime(2026, 6, 15, 10, tzinfo=datetime.UTC)


@pytest.fixture
def shenzhen_only(personas):
    """A pensioner of Shenzhen only (the issue's story)."""
    person = make_person(name="陈美玲", phone="13900000000", address="深圳市福田区")
    make_entitlement(
        person=person, region=personas.other_region, unit=personas.other_unit
    )
    return person


def _rejected(client, rows):
    before = everything()
    response = client.post(URL, {"file": xlsx(rows)})
    assert response.status_code == 400
    assert everything() == before
    return response.content.decode()


# ---------------------------------------------------------------- whose people


def test_regional_staff_cannot_rename_another_regions_pensioner(
    client, personas, shenzhen_only
):
    client.force_login(personas.staff)
    page = _rejected(client, [row(shenzhen_only.ssn, 姓名="陈美琳")])
    assert "第 2 行" in page
    assert (
        "该参保人在其他参保地也有养老待遇，姓名、联系电话、居住地址与登记的不一致"
        in page
    )
    assert "只能由省级经办人员修改" in page
    # The registered name is not shown to staff of another region.
    assert "陈美玲" not in page
    shenzhen_only.refresh_from_db()
    assert shenzhen_only.name == "陈美玲"


def test_regional_staff_cannot_give_another_regions_pensioner_a_pension(
    client, personas, shenzhen_only
):
    client.force_login(personas.staff)
    # Same name, phone and address: nothing about her would change but the
    # new Guangzhou pension would open her records to Guangzhou staff.
    same = row(shenzhen_only.ssn, 姓名="陈美玲", 联系电话="13900000000", 居住地址="")
    page = _rejected(client, [same])
    assert "不能由本参保地导入新增待遇" in page
    assert not Entitlement.objects.filter(
        person=shenzhen_only, region=personas.region
    ).exists()
    assert (
        client.get(
            reverse("backoffice:person-detail", args=[shenzhen_only.public_id])
        ).status_code
        == 404
    )


def test_province_staff_may_do_both(client, personas, shenzhen_only):
    client.force_login(make_staff_user(None, username="province_staff"))
    page = preview(client, [row(shenzhen_only.ssn, 姓名="陈美琳")])
    assert "姓名：陈美玲 → 陈美琳" in page.content.decode()
    confirm(client, page)
    shenzhen_only.refresh_from_db()
    assert shenzhen_only.name == "陈美琳"
    assert Entitlement.objects.filter(
        person=shenzhen_only, region=personas.region
    ).exists()


def test_a_pensioner_of_two_regions_keeps_her_identity_but_her_pension_here_changes(
    client, personas, shenzhen_only
):
    make_entitlement(person=shenzhen_only, region=personas.region)
    client.force_login(personas.staff)
    page = _rejected(client, [row(shenzhen_only.ssn, 居住地址="广州市新地址")])
    assert "居住地址与登记的不一致" in page
    # Her identity as registered (phone and address left empty), a new amount:
    # Guangzhou's own pension, Guangzhou's to change.
    ok = row(shenzhen_only.ssn, 姓名="陈美玲", 联系电话="", 居住地址="", 月养老金=2900)
    confirm(client, preview(client, [ok]))
    here = Entitlement.objects.get(person=shenzhen_only, region=personas.region)
    assert str(here.monthly_amount) == "2900.00"
    shenzhen_only.refresh_from_db()
    assert (shenzhen_only.phone, shenzhen_only.address) == (
        "13900000000",
        "深圳市福田区",
    )


def test_a_person_with_no_pension_elsewhere_is_the_regions_to_update(client, personas):
    client.force_login(personas.staff)
    person = make_person(name="孙立")
    confirm(client, preview(client, [row(person.ssn, 姓名="孙立新")]))
    person.refresh_from_db()
    assert person.name == "孙立新"


# ---------------------------------------------------------------- 上次认证日期


@time_machine.travel(TODAY, tick=False)
def test_the_last_certification_is_migrated_so_the_pension_is_not_overdue(
    client, personas
):
    client.force_login(personas.staff)
    ssn = make_ssn()
    page = preview(
        client,
        [row(ssn, 待遇开始日期="2010-01-01", 上次认证日期="2026-01-20")],
    )
    assert "上次认证日期" in page.content.decode()
    assert page.context["counts"]["certifications"] == 1
    confirm(client, page)
    entitlement = Entitlement.objects.get(person__ssn=ssn)
    certification = Certification.objects.get(entitlement=entitlement)
    assert certification.channel == Channel.MIGRATED
    assert timezone.localdate(certification.certified_at) == datetime.date(2026, 1, 20)
    assert entitlement.last_certified_at == certification.certified_at
    assert cycle.due_date_of(entitlement) == datetime.date(2027, 1, 20)
    everyone = Entitlement.objects.filter(pk=entitlement.pk)
    assert not cycle.overdue(everyone).exists()
    assert AuditEvent.objects.filter(
        action="certification.create", target_id=str(certification.public_id)
    ).exists()
    # Without the column the same pensioner would be overdue at once.
    other = make_ssn()
    confirm(client, preview(client, [row(other, 待遇开始日期="2010-01-01")]))
    assert cycle.overdue(Entitlement.objects.filter(person__ssn=other)).exists()


@time_machine.travel(TODAY, tick=False)
def test_an_older_last_certification_leaves_the_newer_one_alone(client, personas):
    record_certification(
        entitlement=personas.entitlement,
        channel=Channel.COUNTER,
        acting_user=personas.staff,
    )
    client.force_login(personas.staff)
    older = row(
        personas.pensioner.ssn,
        姓名="杨书维",
        单位编号=personas.unit.number,
        月养老金=3200,
        待遇开始日期=datetime.date(2015, 1, 1),
        联系电话="13800138000",
        居住地址="",
        上次认证日期="2026-01-20",
    )
    page = preview(client, [older])
    assert page.context["counts"]["same"] == 1
    confirm(client, page)
    assert not Certification.objects.filter(channel=Channel.MIGRATED).exists()


@time_machine.travel(TODAY, tick=False)
def test_dates_that_cannot_be_right_are_row_errors(client, personas):
    client.force_login(personas.staff)
    dead = make_person(death_date=datetime.date(2025, 3, 1))
    page = _rejected(
        client,
        [
            row(make_ssn(), 上次认证日期="2026-07-01"),
            row(make_ssn(), 上次认证日期="2009-12-31", 待遇开始日期="2010-01-01"),
            row(make_ssn(), 上次认证日期="yesterday"),
            row(dead.ssn, 姓名=dead.name, 上次认证日期="2025-04-01"),
        ],
    )
    assert "第 2 行" in page
    assert "上次认证日期 2026-07-01 晚于今天" in page
    assert "上次认证日期 2009-12-31 早于待遇开始日期 2010-01-01" in page
    assert "上次认证日期“yesterday”不是有效日期" in page
    assert "上次认证日期晚于登记的死亡日期 2025-03-01" in page


# ---------------------------------------------------------------- 暂停发放日期


@time_machine.travel(TODAY, tick=False)
def test_a_suspended_pension_keeps_its_suspension_date(client, personas):
    client.force_login(personas.staff)
    existing = row(
        personas.pensioner.ssn,
        姓名="杨书维",
        单位编号=personas.unit.number,
        待遇状态="暂停",
        暂停发放日期="2026-02-01",
    )
    page = preview(
        client, [existing, row(make_ssn(), 待遇状态="暂停", 暂停发放日期="2026-03-01")]
    )
    text = page.content.decode()
    assert "待遇状态：正常 → 暂停" in text
    assert "暂停发放日期：（无） → 2026-02-01" in text
    confirm(client, page)
    personas.entitlement.refresh_from_db()
    assert personas.entitlement.status == Entitlement.Status.SUSPENDED
    assert personas.entitlement.status_since == datetime.date(2026, 2, 1)
    assert personas.entitlement.status_reason == OVERDUE_REASON
    event = AuditEvent.objects.get(action="entitlement.status")
    assert event.after["since"] == "2026-02-01"
    # A certification now pays back from the imported date: Feb to June.
    _, resumption = record_certification(
        entitlement=personas.entitlement,
        channel=Channel.COUNTER,
        acting_user=personas.staff,
    )
    assert resumption is not None
    assert resumption.months == 4
    new = Entitlement.objects.get(
        person__ssn__in=Person.objects.exclude(pk=personas.pensioner.pk).values("ssn"),
        status="suspended",
    )
    assert new.status_since == datetime.date(2026, 3, 1)


@time_machine.travel(TODAY, tick=False)
def test_suspension_dates_must_agree_with_the_status(client, personas):
    client.force_login(personas.staff)
    page = _rejected(
        client,
        [
            row(make_ssn(), 待遇状态="暂停"),
            row(make_ssn(), 待遇状态="正常", 暂停发放日期="2026-02-01"),
        ],
    )
    assert "第 2 行" in page
    assert "待遇状态为“暂停”时请填写暂停发放日期" in page
    assert "第 3 行" in page
    assert "待遇状态为“暂停”时才填写暂停发放日期" in page


@time_machine.travel(TODAY, tick=False)
def test_a_pension_still_suspended_needs_no_date_again(client, personas):
    Entitlement.objects.filter(pk=personas.entitlement.pk).update(
        status="suspended", status_since=datetime.date(2026, 1, 5)
    )
    client.force_login(personas.staff)
    same = row(
        personas.pensioner.ssn,
        姓名="杨书维",
        单位编号=personas.unit.number,
        待遇状态="暂停",
        月养老金=3200,
        待遇开始日期=datetime.date(2015, 1, 1),
        联系电话="",
        居住地址="",
    )
    assert preview(client, [same]).context["counts"]["same"] == 1
    resumed = same.copy()
    resumed[7] = "正常"
    page = preview(client, [resumed])
    assert "待遇状态：暂停 → 正常" in page.content.decode()
    confirm(client, page)
    personas.entitlement.refresh_from_db()
    assert personas.entitlement.status == Entitlement.Status.NORMAL
    assert personas.entitlement.status_since == datetime.date(2026, 6, 15)


# ---------------------------------------------------------------- the template


def test_the_template_row_is_fictional_and_never_imported(client, personas):
    client.force_login(personas.staff)
    data = client.get(reverse("backoffice:import-template")).content
    sheet = load_workbook(io.BytesIO(data)).active
    example = [c.value for c in sheet[2]]
    assert example[0] == EXAMPLE_SSN
    assert "示例" in example[1]
    assert not Person.objects.filter(ssn=EXAMPLE_SSN).exists()
    # Unchanged, the template imports nothing and says why.
    upload = io.BytesIO(data)
    upload.name = "template.xlsx"
    before = everything()
    response = client.post(URL, {"file": upload})
    assert response.status_code == 400
    assert "模板的示例行不导入" in response.content.decode()
    assert everything() == before
    # With a real row below it, the example is skipped and said so.
    sheet.append(row(make_ssn()))
    buffer = io.BytesIO()
    sheet.parent.save(buffer)
    buffer.seek(0)
    buffer.name = "filled.xlsx"
    redirect = client.post(URL, {"file": buffer})
    page = client.get(redirect["Location"])
    assert page.context["counts"]["skipped"] == 1
    assert "第 2 行（导入模板的示例行，未导入）" in page.content.decode()
    confirm(client, page)
    assert not Person.objects.filter(ssn=EXAMPLE_SSN).exists()
    personas.entitlement.refresh_from_db()
    assert str(personas.entitlement.monthly_amount) == "3200.00"


def test_province_staff_import_one_new_person_into_two_regions(client, personas):
    client.force_login(make_staff_user(None, username="province_staff"))
    ssn = make_ssn()
    rows = [row(ssn), row(ssn, 参保地代码="440300", 单位编号="")]
    page = preview(client, rows)
    counts = page.context["counts"]
    assert (counts["create"], counts["persons_created"]) == (2, 1)
    confirm(client, page)
    person = Person.objects.get(ssn=ssn)
    assert person.entitlements.count() == 2


# ---------------------------------------------------------------- as typed


def test_full_width_codes_are_read_as_typed(client, personas):
    """Found on the walk: a 参保地代码 typed with a Chinese input method
    (４４０１００) was said not to exist."""
    client.force_login(personas.staff)
    ssn = make_ssn()
    page = preview(
        client,
        [
            row(
                ssn,
                参保地代码="４４０１００",
                单位编号="４４０１０００７７７ ",
                联系电话="１３８０００００００２",
                月养老金="３１００．５０",
                待遇开始日期="２０１６－０５－０１",
            )
        ],
    )
    assert page.context["counts"]["create"] == 1
    confirm(client, page)
    entitlement = Entitlement.objects.get(person__ssn=ssn)
    assert entitlement.region == personas.region
    assert entitlement.unit.number == "4401000777"
    assert str(entitlement.monthly_amount) == "3100.50"
    assert entitlement.person.phone == "13800000002"


def test_a_formula_in_the_number_column_says_so(client, personas):
    client.force_login(personas.staff)
    page = _rejected(client, [row('="4306"&"0319920301203X"')])
    assert "第 2 行" in page
    assert "社会保障号码：单元格是公式" in page
    assert "请填写号码本身" in page
    assert "（空）" not in page
