import datetime
import io

import pytest
from django.urls import reverse

from lifecert.core.models import AuditEvent
from lifecert.core.testing import make_ssn, xlsx_upload
from lifecert.registry.imports import COLUMNS
from lifecert.registry.models import Entitlement, Person, Unit

pytestmark = pytest.mark.django_db
URL = reverse("backoffice:import")


def _xlsx(rows, header=COLUMNS):
    return xlsx_upload(header, rows, "import.xlsx")


def _row(ssn, **overrides):
    values = {
        "社会保障号码": ssn,
        "姓名": "赵桂英",
        "联系电话": "13800000001",
        "居住地址": "广州市越秀区中山路 1 号",
        "参保地代码": "440100",
        "单位编号": "4401000777",
        "单位名称": "广州市新单位",
        "待遇状态": "正常",
        "月养老金": 3100.5,
        "待遇开始日期": datetime.date(2016, 5, 1),
    }
    values.update(overrides)
    return [values[c] for c in COLUMNS]


def test_staff_imports_a_file(client, personas):
    client.force_login(personas.staff)
    rows = [
        _row(make_ssn()),
        _row(make_ssn(), 姓名="钱玉兰", 单位编号=personas.unit.number),
    ]
    response = client.post(URL, {"file": _xlsx(rows)})
    assert response.status_code == 200
    assert "导入成功：共 2 行" in response.content.decode()
    assert Person.objects.filter(name__in=["赵桂英", "钱玉兰"]).count() == 2
    assert Unit.objects.filter(number="4401000777", region=personas.region).exists()
    assert Entitlement.objects.filter(unit=personas.unit).count() == 2
    event = AuditEvent.objects.get(action="registry.import")
    assert event.actor == personas.staff
    assert event.after["persons_created"] == 2


def test_bad_rows_are_reported_with_numbers_and_nothing_is_written(client, personas):
    client.force_login(personas.staff)
    good = make_ssn()
    bad_check = good[:-1] + ("0" if good[-1] != "0" else "1")
    rows = [
        _row(make_ssn()),
        _row(bad_check),
        _row(make_ssn(), 参保地代码="440300"),  # another region: not this staff's
        _row(make_ssn(), 待遇状态="未知"),
        _row(make_ssn(), 月养老金="abc"),
        _row(make_ssn(), 待遇开始日期="2016-13-45"),
    ]
    persons_before = Person.objects.count()
    response = client.post(URL, {"file": _xlsx(rows)})
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
    assert Person.objects.count() == persons_before
    assert not Unit.objects.filter(number="4401000777").exists()
    assert not AuditEvent.objects.filter(action="registry.import").exists()


def test_duplicate_rows_in_one_file_are_reported(client, personas):
    client.force_login(personas.staff)
    ssn = make_ssn()
    response = client.post(URL, {"file": _xlsx([_row(ssn), _row(ssn)])})
    assert "与第 2 行重复" in response.content.decode()


def test_malformed_excel_is_rejected_with_a_clear_message(client, personas):
    client.force_login(personas.staff)
    junk = io.BytesIO(b"PK\x03\x04 this is not a workbook")
    junk.name = "broken.xlsx"
    response = client.post(URL, {"file": junk})
    assert response.status_code == 400
    assert "文件不是有效的 Excel" in response.content.decode()


def test_missing_columns_are_named(client, personas):
    client.force_login(personas.staff)
    response = client.post(URL, {"file": _xlsx([["x"]], header=["姓名"])})
    assert "表头缺少列" in response.content.decode()
    assert "社会保障号码" in response.content.decode()


def test_import_updates_status_with_an_audit_row(client, personas):
    client.force_login(personas.staff)
    row = _row(
        personas.pensioner.ssn,
        姓名="杨书维",
        单位编号=personas.unit.number,
        待遇状态="暂停",
    )
    assert client.post(URL, {"file": _xlsx([row])}).status_code == 200
    personas.entitlement.refresh_from_db()
    assert personas.entitlement.status == Entitlement.Status.SUSPENDED
    assert AuditEvent.objects.filter(action="entitlement.status").exists()


def test_template_download_and_access(client, personas):
    url = reverse("backoffice:import-template")
    assert client.get(url).status_code == 302
    client.force_login(personas.unit_user)
    assert client.get(url).status_code == 403
    client.force_login(personas.staff)
    response = client.get(url)
    assert response.status_code == 200
    assert response.content[:2] == b"PK"
