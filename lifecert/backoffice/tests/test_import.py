"""导入参保数据 through the views: upload → preview → one confirmation."""

import datetime
import io
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from lifecert.core.models import AuditEvent
from lifecert.demo.testing import make_ssn, make_staff_user
from lifecert.registry.models import Entitlement, Person, Unit

from .import_helpers import URL, confirm, everything, preview, row, xlsx

pytestmark = pytest.mark.django_db


def test_nothing_is_written_before_the_confirmation(client, personas):
    client.force_login(personas.staff)
    rows = [
        row(make_ssn()),
        row(make_ssn(), 姓名="钱玉兰", 单位编号=personas.unit.number),
    ]
    before = everything()
    page = preview(client, rows)
    assert page.status_code == 200
    assert everything() == before
    assert page.context["counts"]["create"] == 2
    assert page.context["counts"]["units_created"] == 1
    text = page.content.decode()
    assert "尚未写入任何数据" in text
    assert "钱玉兰" in text
    assert "4401000777（新单位）" in text

    response = confirm(client, page)
    assert response.status_code == 302
    assert response["Location"] == URL
    assert "导入成功：共 2 行，新增 2 条养老待遇" in client.get(URL).content.decode()
    assert Person.objects.filter(name__in=["赵桂英", "钱玉兰"]).count() == 2
    assert Unit.objects.filter(number="4401000777", region=personas.region).exists()
    assert Entitlement.objects.filter(unit=personas.unit).count() == 2
    event = AuditEvent.objects.get(action="registry.import")
    assert event.actor == personas.staff
    assert event.after["create"] == 2
    assert event.after["persons_created"] == 2
    # The upload is gone once written: a second click writes nothing twice.
    assert confirm(client, page).status_code == 404
    assert AuditEvent.objects.filter(action="registry.import").count() == 1


def test_the_preview_shows_old_and_new_values_and_what_is_left_alone(client, personas):
    client.force_login(personas.staff)
    unchanged = make_ssn()
    preview_page = preview(client, [row(unchanged)])
    confirm(client, preview_page)
    rows = [
        row(unchanged),
        row(
            personas.pensioner.ssn,
            姓名="杨书维",
            联系电话="13911112222",
            单位编号=personas.unit.number,
            月养老金=3300,
        ),
    ]
    before = everything()
    page = preview(client, rows)
    assert everything() == before
    counts = page.context["counts"]
    assert (counts["create"], counts["change"], counts["same"]) == (0, 1, 1)
    text = page.content.decode()
    assert f"联系电话：{personas.pensioner.phone} → 13911112222" in text
    assert "月养老金：3200.00 → 3300.00" in text
    assert personas.pensioner.ssn not in text  # masked in the list
    assert "4306**********203X" in text
    changed = client.get(page.request["PATH_INFO"], {"show": "change"})
    assert [r["number"] for r in changed.context["pager"].page] == [3]
    same = client.get(page.request["PATH_INFO"], {"show": "same"})
    assert [r["number"] for r in same.context["pager"].page] == [2]
    assert "无变化" in same.content.decode()

    confirm(client, page)
    personas.pensioner.refresh_from_db()
    assert personas.pensioner.phone == "13911112222"
    update = AuditEvent.objects.get(action="person.update")
    assert update.after["phone"] == "13911112222"
    assert update.before["phone"] != "13911112222"


def test_the_preview_is_paged(client, personas):
    client.force_login(personas.staff)
    rows = [row(make_ssn()) for _ in range(12)]
    page = preview(client, rows)
    assert len(page.context["pager"].page) == 10
    second = client.get(page.request["PATH_INFO"], {"page": 2})
    assert [r["number"] for r in second.context["pager"].page] == [12, 13]


def test_a_change_after_the_preview_shows_it_again_and_writes_nothing(client, personas):
    client.force_login(personas.staff)
    rows = [row(personas.pensioner.ssn, 姓名="杨书维", 单位编号=personas.unit.number)]
    page = preview(client, rows)
    # Meanwhile someone else changes the amount the preview compared with.
    Entitlement.objects.filter(pk=personas.entitlement.pk).update(
        monthly_amount="1234.00"
    )
    before = everything()
    response = confirm(client, page)
    assert response.status_code == 302
    assert response["Location"] == page.request["PATH_INFO"]
    assert everything() == before
    again = client.get(response["Location"])
    assert "预览之后参保数据已有变化，尚未导入" in again.content.decode()
    assert "月养老金：1234.00 → 3100.50" in again.content.decode()
    assert again.context["pending"].fingerprint != page.context["pending"].fingerprint
    # The new preview is the one that can be confirmed.
    assert confirm(client, again).status_code == 302
    personas.entitlement.refresh_from_db()
    assert str(personas.entitlement.monthly_amount) == "3100.50"


def test_a_confirmation_of_an_older_preview_is_refused(client, personas):
    client.force_login(personas.staff)
    page = preview(client, [row(make_ssn())])
    before = everything()
    response = confirm(client, page, fingerprint="0" * 64)
    assert response.status_code == 302
    assert everything() == before


def test_a_row_that_is_refused_at_the_confirmation_writes_nothing(client, personas):
    client.force_login(personas.staff)
    ssn = make_ssn()
    page = preview(client, [row(ssn)])
    # Before the confirmation the person gets a pension in Shenzhen: the row
    # is no longer Guangzhou's to write.
    from lifecert.demo.testing import make_entitlement, make_person

    make_entitlement(
        person=make_person(ssn=ssn, name="赵桂英"),
        region=personas.other_region,
        unit=personas.other_unit,
    )
    before = everything()
    response = confirm(client, page)
    assert response.status_code == 400
    assert "其他参保地" in response.content.decode()
    assert everything() == before


def test_an_amount_is_previewed_in_cents_as_it_is_written(client, personas):
    client.force_login(personas.staff)
    ssn = make_ssn()
    page = preview(client, [row(ssn, 月养老金="3350.555")])
    assert "月养老金：3350.56" in page.content.decode()
    confirm(client, page)
    assert Entitlement.objects.get(person__ssn=ssn).monthly_amount == Decimal("3350.56")
    # The same file again changes nothing, and says so.
    again = preview(client, [row(ssn, 月养老金="3350.555")]).context["counts"]
    assert (again["change"], again["same"]) == (0, 1)


def test_bad_rows_are_reported_with_numbers_and_nothing_is_written(client, personas):
    client.force_login(personas.staff)
    good = make_ssn()
    bad_check = good[:-1] + ("0" if good[-1] != "0" else "1")
    rows = [
        row(make_ssn()),
        row(bad_check),
        row(make_ssn(), 参保地代码="440300"),  # another region: not this staff's
        row(make_ssn(), 待遇状态="未知"),
        row(make_ssn(), 月养老金="abc"),
        row(make_ssn(), 待遇开始日期="2016-13-45"),
    ]
    before = everything()
    response = client.post(URL, {"file": xlsx(rows)})
    assert response.status_code == 400
    page = response.content.decode()
    assert "发现 5 处错误" in page
    for number, text in [
        (3, "校验位"),
        (4, "不在您的管辖范围"),
        (5, "待遇状态"),
        (6, "不是有效金额"),
        (7, "不是有效日期"),
    ]:
        assert f"第 {number} 行" in page
        assert text in page
    assert everything() == before


def test_a_long_error_list_shows_its_first_rows(client, personas, settings):
    client.force_login(personas.staff)
    rows = [row("1" * 18) for _ in range(205)]
    response = client.post(URL, {"file": xlsx(rows)})
    page = response.content.decode()
    assert "发现 205 处错误" in page
    assert "以下仅列出前 200 处" in page
    assert page.count("校验位") == 200


def test_duplicate_rows_in_one_file_are_reported(client, personas):
    client.force_login(personas.staff)
    ssn = make_ssn()
    response = client.post(URL, {"file": xlsx([row(ssn), row(ssn)])})
    assert "与第 2 行重复" in response.content.decode()


def test_one_person_in_two_rows_must_read_the_same(client, personas):
    client.force_login(make_staff_user(None, username="province_staff"))
    ssn = make_ssn()
    rows = [row(ssn), row(ssn, 参保地代码="440300", 单位编号="", 姓名="赵桂")]
    response = client.post(URL, {"file": xlsx(rows)})
    assert "与第 2 行（同一人）不同" in response.content.decode()


def test_malformed_excel_is_rejected_with_a_clear_message(client, personas):
    client.force_login(personas.staff)
    junk = io.BytesIO(b"PK\x03\x04 this is not a workbook")
    junk.name = "broken.xlsx"
    response = client.post(URL, {"file": junk})
    assert response.status_code == 400
    assert "文件不是有效的 Excel" in response.content.decode()


def test_missing_columns_are_named(client, personas):
    client.force_login(personas.staff)
    response = client.post(URL, {"file": xlsx([["x"]], header=["姓名"])})
    assert "表头缺少列" in response.content.decode()
    assert "社会保障号码" in response.content.decode()


def test_the_optional_columns_may_be_left_out(client, personas):
    from lifecert.registry.imports import COLUMNS

    client.force_login(personas.staff)
    page = preview(client, [row(make_ssn())[: len(COLUMNS)]], header=COLUMNS)
    assert page.context["counts"]["create"] == 1


def test_staff_of_another_region_cannot_open_or_confirm_the_preview(client, personas):
    client.force_login(personas.staff)
    page = preview(client, [row(make_ssn())])
    url = page.request["PATH_INFO"]
    pending = page.context["pending"]
    confirm_url = reverse("backoffice:import-confirm", args=[pending.token])
    province = make_staff_user(None, username="province_staff")
    before = everything()
    for other in (personas.outsider_staff, province):
        client.force_login(other)
        assert client.get(url).status_code == 404
        response = client.post(confirm_url, {"fingerprint": pending.fingerprint})
        assert response.status_code == 404
    client.force_login(personas.unit_user)
    assert client.get(url).status_code == 403
    client.logout()
    assert client.get(url).status_code == 302
    assert client.post(confirm_url).status_code == 302
    assert everything() == before
    client.force_login(personas.staff)
    assert client.get(confirm_url).status_code == 405


def test_an_expired_preview_is_gone(client, personas, settings):
    from lifecert.backoffice.models import PendingImport

    client.force_login(personas.staff)
    page = preview(client, [row(make_ssn())])
    token = page.context["pending"].token
    # Kept for no hours: ten minutes later (the session still alive) it is gone.
    settings.IMPORT_PENDING_HOURS = 0
    with time_machine.travel(datetime.timedelta(minutes=10)):
        assert client.get(page.request["PATH_INFO"]).status_code == 404
        assert confirm(client, page).status_code == 404
        preview(client, [row(make_ssn())])  # sweeps what nobody confirmed
    assert not PendingImport.objects.filter(token=token).exists()


def test_template_download_and_access(client, personas):
    url = reverse("backoffice:import-template")
    assert client.get(url).status_code == 302
    client.force_login(personas.unit_user)
    assert client.get(url).status_code == 403
    client.force_login(personas.staff)
    response = client.get(url)
    assert response.status_code == 200
    assert response.content[:2] == b"PK"


def test_the_upload_page_explains_the_columns(client, personas):
    client.force_login(personas.staff)
    page = client.get(URL).content.decode()
    assert "上次认证日期" in page
    assert "暂停发放日期" in page
    assert "上传并预览" in page


def test_dates_in_the_preview_use_the_local_calendar(client, personas):
    client.force_login(personas.staff)
    page = preview(
        client,
        [row(make_ssn(), 上次认证日期=datetime.date(2026, 1, 31))],
    )
    assert "上次认证日期：2026-01-31" in page.content.decode()


def test_a_long_cell_is_a_row_error_and_nothing_is_stored(client, personas):
    """On SQLite (which would store it) and PostgreSQL (which would fail)."""
    client.force_login(personas.staff)
    rows = [
        row(make_ssn(), 姓名="张" * 61),
        row(make_ssn(), 居住地址="路" * 201),
        row(make_ssn(), 单位编号="4401000888", 单位名称="司" * 121),
        row(make_ssn(), 联系电话="1" * 21),
        row(make_ssn(), 姓名="张" * 60, 居住地址="路" * 200),
    ]
    before = everything()
    response = client.post(URL, {"file": xlsx(rows)})
    assert response.status_code == 400
    page = response.content.decode()
    assert "发现 4 处错误" in page
    assert "姓名过长（61 个字符，最多 60 个）：“" + "张" * 20 + "…”" in page
    assert "居住地址过长（201 个字符，最多 200 个）" in page
    assert "单位名称过长（121 个字符，最多 120 个）" in page
    assert "联系电话过长（21 个字符，最多 20 个）" in page
    assert "第 6 行" not in page  # at the limits exactly: a good row
    assert "张" * 21 not in page
    assert everything() == before
    # Longer than any cell may be: the reader's row error, quoted as short.
    response = client.post(URL, {"file": xlsx([row(make_ssn(), 姓名="张" * 501)])})
    assert response.status_code == 400
    assert "第 B 列内容过长（501 个字符，最多 500 个）" in response.content.decode()
    assert everything() == before


def test_a_zip_bomb_upload_is_refused_with_a_message(client, personas):
    from lifecert.registry.tests.test_excel import _with_cell

    client.force_login(personas.staff)
    bomb = io.BytesIO(_with_cell("A" * (20 * 1024 * 1024)))
    bomb.name = "bomb.xlsx"
    before = everything()
    response = client.post(URL, {"file": bomb})
    assert response.status_code == 400
    page = response.content.decode()
    assert "文件解压后过大" in page
    assert len(page) < 20_000
    assert everything() == before


def test_a_long_cell_in_an_evidence_import_is_a_row_error(client, personas):
    client.force_login(personas.staff)
    upload = xlsx(
        [
            [
                personas.pensioner.ssn,
                personas.pensioner.name,
                "2026-01-05",
                "来源" * 300,
            ]
        ],
        header=["社会保障号码", "姓名", "比对日期", "数据来源"],
    )
    before = everything()
    response = client.post(
        reverse("backoffice:evidence-import", args=["comparison"]), {"file": upload}
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "第 2 行" in page
    assert "第 D 列内容过长（600 个字符，最多 500 个）" in page
    assert everything() == before


def test_rows_with_units_and_names_that_do_not_fit_are_reported(client, personas):
    client.force_login(personas.staff)
    rows = [
        row(make_ssn(), 姓名=""),
        row(make_ssn(), 单位编号=personas.other_unit.number),
        row(make_ssn(), 单位编号="4401000999", 单位名称=""),
        row(make_ssn(), 月养老金=0),
    ]
    page = client.post(URL, {"file": xlsx(rows)}).content.decode()
    assert "月养老金“0”不是有效金额" in page
    assert "姓名不能为空" in page
    assert f"单位编号 {personas.other_unit.number} 属于参保地 440300" in page
    assert "新单位编号 4401000999 需要填写单位名称" in page


def test_a_registered_legacy_code_is_accepted(client, personas):
    from lifecert.demo.testing import make_person

    legacy = make_person(ssn="440100A0012345", legacy_code=True, name="老编码")
    client.force_login(personas.staff)
    page = preview(client, [row(legacy.ssn, 姓名="老编码")])
    assert page.context["counts"]["create"] == 1


def test_a_second_confirmation_while_the_first_writes_is_sent_back(client, personas):
    from lifecert.backoffice import pending_imports

    client.force_login(personas.staff)
    page = preview(client, [row(make_ssn())])
    pending = pending_imports.load(page.context["pending"].token, personas.staff)
    assert str(pending) == "导入预览 import.xlsx"
    assert pending_imports.claim(pending)  # the first click, still writing
    assert not pending_imports.claim(pending)
    assert pending_imports.load(pending.token, personas.staff) is None
    before = everything()
    response = confirm(client, page)
    assert response.status_code == 404  # taken: no preview to confirm any more
    assert everything() == before


def test_an_empty_file_or_none_says_what_to_do(client, personas):
    """Django said only 提交的是空文件 / 这个字段是必填项."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(personas.staff)
    empty = SimpleUploadedFile("参保数据.xlsx", b"")
    page = client.post(URL, {"file": empty}).content.decode()
    assert "上传的文件是空的（0 字节）" in page
    assert "另存为 .xlsx 后重新上传" in page
    page = client.post(URL, {"file": ""}).content.decode()  # none chosen
    assert "请选择要上传的 Excel 文件（.xlsx）" in page
    photo = reverse("backoffice:person-photo", args=[personas.pensioner.public_id])
    empty = SimpleUploadedFile("照片.jpg", b"")
    page = client.post(photo, {"photo": empty}, follow=True).content.decode()
    assert "上传的照片是空的（0 字节），请重新拍摄或选择照片后上传" in page
