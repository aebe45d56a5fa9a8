"""30 days before the due date: a notice on the pensioner's centre and on the
unit's roster, the unit's letter list, and the staff's per-region list with
the SMS status and its letter export (each export audited)."""

import datetime
import io

import pytest
import time_machine
from django.urls import reverse
from openpyxl import load_workbook

from lifecert.certification import cycle
from lifecert.core.audit_actions import AuditAction
from lifecert.core.masking import mask_id
from lifecert.core.models import AuditEvent
from lifecert.demo import testing
from lifecert.registry.models import Entitlement
from lifecert.reminders import services

from .helpers import NOW, TODAY, due_in

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def frozen(settings):
    settings.SMS_BACKEND = "lifecert.reminders.sms.LocmemBackend"
    with time_machine.travel(NOW, tick=False):
        yield


def _sheet(response):
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    return list(book.active.iter_rows(values_only=True))


def test_due_soon_days_is_the_cycle_rule_at_its_edges():
    assert cycle.due_soon_days(due_in(0), TODAY) == 0
    assert cycle.due_soon_days(due_in(30), TODAY) == 30
    assert cycle.due_soon_days(due_in(31), TODAY) is None
    assert cycle.due_soon_days(due_in(-1), TODAY) is None
    suspended = due_in(5)
    suspended.status = Entitlement.Status.SUSPENDED
    assert cycle.due_soon_days(suspended, TODAY) is None
    # The same set as the SQL form.
    ids = set(
        cycle.due_within(Entitlement.objects.all(), 30, TODAY).values_list(
            "pk", flat=True
        )
    )
    assert ids == {
        e.pk
        for e in Entitlement.objects.all()
        if cycle.due_soon_days(e, TODAY) is not None
    }


def test_the_centre_shows_the_notice_30_days_before(client, personas):
    Entitlement.objects.filter(pk=personas.entitlement.pk).delete()
    entitlement = due_in(12, person=personas.pensioner, region=personas.region)
    client.force_login(personas.pensioner_user)
    page = client.get(reverse("pensioner:centre")).content.decode()
    assert 'id="due-soon-note"' in page
    assert "还有 12 天到期" in page
    assert "2026年6月22日" in page
    # A month later than that: no notice yet.
    Entitlement.objects.filter(pk=entitlement.pk).update(
        last_certified_at=entitlement.last_certified_at + datetime.timedelta(days=19)
    )
    page = client.get(reverse("pensioner:centre")).content.decode()
    assert 'id="due-soon-note"' not in page


def test_the_roster_tells_the_unit_and_exports_the_letter_list(client, personas):
    unit = personas.unit
    soon = due_in(3, unit=unit, region=unit.region, phone="13900000001")
    later = due_in(90, unit=unit, region=unit.region)
    no_phone = due_in(20, unit=unit, region=unit.region, phone="")
    other = due_in(3, unit=personas.other_unit, region=personas.other_region)
    services.send_due_reminders()
    client.force_login(personas.unit_user)
    page = client.get(reverse("employer:roster")).content.decode()
    assert 'id="due-soon-notice"' in page
    assert "本单位有 2 名退休人员" in page
    assert "3 天后到期" in page
    rows = _sheet(client.get(reverse("employer:reminder-export")))
    assert rows[0][:9] == (
        "姓名",
        "证件号码",
        "联系电话",
        "居住地址",
        "参保地",
        "单位",
        "认证截止日期",
        "剩余天数",
        "提醒短信",
    )
    by_name = {row[0]: row for row in rows[1:]}
    assert set(by_name) == {soon.person.name, no_phone.person.name}
    assert later.person.name not in by_name
    assert other.person.name not in by_name
    first = by_name[soon.person.name]
    assert first[1] == mask_id(soon.person.ssn)
    assert first[6].date() == TODAY + datetime.timedelta(days=3)
    assert first[7] == 3
    assert first[8] == "已发送"
    assert by_name[no_phone.person.name][8] == "无手机号码"
    event = AuditEvent.objects.get(action=AuditAction.EXPORT_UNIT_REMINDERS)
    assert event.actor == personas.unit_user
    assert event.after["rows"] == 2


def test_a_roster_with_nobody_due_soon_shows_no_notice(client, personas):
    client.force_login(personas.unit_user)
    page = client.get(reverse("employer:roster")).content.decode()
    assert 'id="due-soon-notice"' not in page


def test_staff_see_their_regions_due_soon_list_with_the_sms_status(client, personas):
    gz = due_in(4, unit=personas.unit, region=personas.region)
    quiet = due_in(6, unit=personas.unit, region=personas.region, phone="")
    sz = due_in(4, unit=personas.other_unit, region=personas.other_region)
    services.send_due_reminders()
    url = reverse("backoffice:due-list")
    client.force_login(personas.staff)
    page = client.get(url).content.decode()
    assert "提醒短信" in page
    assert reverse("backoffice:reminder-export") in page
    assert gz.person.name in page
    assert quiet.person.name in page
    assert sz.person.name not in page
    assert "已发送" in page
    assert "无手机号码" in page
    assert gz.person.ssn not in page
    assert mask_id(gz.person.ssn) in page
    filtered = client.get(url, {"unit": personas.other_unit.number}).content.decode()
    assert gz.person.name not in filtered
    # Another region's code is no choice for regional staff: nothing listed.
    refused = client.get(url, {"region": personas.other_region.code})
    assert sz.person.name not in refused.content.decode()
    rows = _sheet(client.get(reverse("backoffice:reminder-export")))
    assert {row[0] for row in rows[1:]} == {gz.person.name, quiet.person.name}
    event = AuditEvent.objects.get(action=AuditAction.EXPORT_REMINDERS)
    assert event.actor == personas.staff
    assert event.after["rows"] == 2


def test_province_staff_filter_by_region(client, personas):
    gz = due_in(4, region=personas.region)
    sz = due_in(4, region=personas.other_region)
    client.force_login(testing.make_staff_user(None, username="prov_rem"))
    url = reverse("backoffice:due-list")
    page = client.get(url, {"region": personas.other_region.code}).content.decode()
    assert sz.person.name in page
    assert gz.person.name not in page
    rows = _sheet(
        client.get(
            reverse("backoffice:reminder-export"),
            {"region": personas.other_region.code},
        )
    )
    assert [row[0] for row in rows[1:]] == [sz.person.name]


def test_the_person_page_shows_the_reminders_of_the_staffs_regions(client, personas):
    person = testing.make_person(phone="13900000009")
    gz = due_in(8, person=person, region=personas.region)
    due_in(8, person=person, region=personas.other_region)
    services.send_due_reminders()
    url = reverse("backoffice:person-detail", args=[person.public_id])
    client.force_login(personas.staff)
    page = client.get(url).content.decode()
    section = page.split('id="person-reminders"')[1].split("</ul>")[0]
    assert "广州市 · 截止 2026-06-18 · 短信已发送（2026-06-10 09:30）" in section
    assert "深圳市" not in section  # the other region's reminder is not theirs
    assert gz.region.name in section


def test_the_old_reminder_page_leads_to_the_due_list_with_its_filters(client, personas):
    client.force_login(personas.staff)
    response = client.get(reverse("backoffice:reminder-list"), {"unit": "4401"})
    assert response.status_code == 302
    assert response["Location"] == reverse("backoffice:due-list") + "?unit=4401"
    assert "?" not in client.get(reverse("backoffice:reminder-list"))["Location"]


def test_each_row_of_the_due_list_says_whether_its_sms_went_out(client, personas):
    sent = due_in(4, unit=personas.unit, region=personas.region)
    silent = due_in(5, unit=personas.unit, region=personas.region, phone="")
    services.send_due_reminders()
    later = due_in(6, unit=personas.unit, region=personas.region)
    client.force_login(personas.staff)
    page = client.get(reverse("backoffice:due-list")).content.decode()
    cells = {}
    for entitlement in (sent, silent, later):
        row = page.split(mask_id(entitlement.person.ssn), 1)[1].split("</tr>", 1)[0]
        cells[entitlement.person.name] = row
    assert "<td>已发送</td>" in cells[sent.person.name]
    assert "<td>无手机号码</td>" in cells[silent.person.name]
    assert "<td>未发送</td>" in cells[later.person.name]
    overdue = client.get(reverse("backoffice:overdue-list")).content.decode()
    assert "提醒短信" not in overdue
