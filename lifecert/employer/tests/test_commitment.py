from django.test import Client
from django.urls import reverse

from lifecert.core.models import AuditEvent
from lifecert.employer import services
from lifecert.employer.models import Commitment

URL = reverse("employer:commitment")


def test_start_page_has_guide_and_finish(client, office):
    client.force_login(office.personas.unit_user)
    text = client.get(reverse("employer:certify")).content.decode()
    assert "点击查看办事指南" in text
    assert "办结" in text
    assert reverse("employer:commitment") in text


def test_guide_has_conditions_materials_and_form(client, office):
    client.force_login(office.personas.unit_user)
    text = client.get(reverse("employer:guide")).content.decode()
    assert "办理条件" in text
    assert "所需材料" in text
    response = client.get(reverse("employer:guide-form"))
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    import io

    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    assert sheet["A1"].value == "企业职工领取养老保险待遇资格认证申请表"
    assert sheet["E2"].value == office.personas.unit.number


def test_a_unit_name_like_a_formula_is_text_in_the_application_form(client, office):
    """openpyxl writes a string starting with = as a formula: a unit named so in
    a registry import ran in every operator's Excel that opened the 申请表."""
    import io

    from openpyxl import load_workbook

    unit = office.personas.unit
    unit.name = '=HYPERLINK("http://evil.example","点此下载")'
    unit.save(update_fields=["name"])
    client.force_login(office.personas.unit_user)
    response = client.get(reverse("employer:guide-form"))
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    cell = sheet["B2"]
    assert cell.data_type == "s"
    assert cell.value == unit.name
    assert cell.quotePrefix
    assert sheet["B3"].data_type == "s"


def test_agreeing_records_operator_version_time_and_address(client, office, settings):
    personas = office.personas
    client.force_login(personas.unit_user)
    page = client.get(URL).content.decode()
    assert "网上办理企业养老保险资格认证业务承诺书" in page
    assert "我已阅读并同意" in page
    response = client.post(URL, {"agree": "1"}, REMOTE_ADDR="10.1.2.3")
    assert response.url == reverse("employer:certify-list")
    commitment = Commitment.objects.get()
    assert commitment.account == personas.unit_user
    assert commitment.unit == personas.unit
    assert commitment.version == settings.COMMITMENT_LETTER_VERSION
    assert commitment.operator_name == "王经办"
    assert commitment.ip == "10.1.2.3"
    assert commitment.accepted_at is not None
    assert AuditEvent.objects.filter(action="commitment.accept").count() == 1
    # once agreed, 办结 goes straight to the list
    start = client.get(reverse("employer:certify")).content.decode()
    assert reverse("employer:certify-list") in start


def test_new_letter_version_asks_again(client, office, settings):
    client.force_login(office.personas.unit_user)
    client.post(URL, {"agree": "1"})
    assert client.get(reverse("employer:certify-list")).status_code == 200
    settings.COMMITMENT_LETTER_VERSION = "2099-01"
    assert client.get(reverse("employer:certify-list")).url == URL
    client.post(URL, {"agree": "1"})
    assert Commitment.objects.count() == 2


def test_new_bound_operator_asks_again(client, office):
    personas = office.personas
    client.force_login(personas.unit_user)
    client.post(URL, {"agree": "1"})
    assert client.get(reverse("employer:certify-list")).status_code == 200
    binding = personas.unit_user.bindings.get()
    binding.operator_name = "李新"
    binding.save(update_fields=["operator_name"])
    assert not services.has_current_commitment(binding)
    # The acceptance remembered in the session was the old operator's.
    assert client.get(reverse("employer:certify-list")).url == URL
    client.post(URL, {"agree": "1"})
    assert Commitment.objects.get().operator_name == "李新"
    assert AuditEvent.objects.filter(action="commitment.accept").count() == 2


def test_post_without_agreement_records_nothing(client, office):
    client.force_login(office.personas.unit_user)
    response = client.post(URL, {})
    assert "请阅读承诺书" in response.content.decode()
    assert not Commitment.objects.exists()


def test_commitment_without_csrf_token_is_refused(office):
    client = Client(enforce_csrf_checks=True)
    client.force_login(office.personas.unit_user)
    assert client.post(URL, {"agree": "1"}).status_code == 403
    assert not Commitment.objects.exists()


def test_the_acceptance_is_read_once_per_session(client, office):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(office.personas.unit_user)
    client.post(URL, {"agree": "1"})
    with CaptureQueriesContext(connection) as first:
        assert client.get(reverse("employer:certify-list")).status_code == 200
    with CaptureQueriesContext(connection) as second:
        assert client.get(reverse("employer:certify-list")).status_code == 200
    assert not any("employer_commitment" in q["sql"] for q in second.captured_queries)
    assert len(second.captured_queries) < len(first.captured_queries)
