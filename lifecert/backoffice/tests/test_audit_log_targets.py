"""审计日志: what a target search finds, and how each kind of target reads."""

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from lifecert.backoffice import audit_log
from lifecert.core import audit
from lifecert.core.audit_actions import AuditAction
from lifecert.core.models import AuditEvent
from lifecert.demo import testing

pytestmark = pytest.mark.django_db


@pytest.fixture
def unit_events(personas):
    binding = personas.unit_user.bindings.get(unit=personas.unit)
    about_binding = audit.record(
        AuditAction.BINDING_UPDATE,
        acting_user=personas.unit_user,
        target=binding,
        after={"operator": {"phone": "13900139000", "ids": ["43060319920301203X"]}},
    )
    about_account = audit.record(
        AuditAction.ACCOUNT_PASSWORD,
        acting_user=personas.pensioner_user,
        target=personas.pensioner_user,
    )
    about_other_unit = audit.record(
        AuditAction.BINDING_UPDATE,
        acting_user=personas.outsider_unit_user,
        target=personas.outsider_unit_user.bindings.get(),
    )
    return about_binding, about_account, about_other_unit


def _found(criteria):
    return set(audit_log.filter_events(AuditEvent.objects.all(), criteria))


def test_a_unit_number_finds_the_events_of_its_bindings(personas, unit_events):
    about_binding, _, about_other_unit = unit_events
    found = _found({"target": personas.unit.number})
    assert about_binding in found
    assert about_other_unit not in found


def test_a_public_id_of_any_object_finds_its_events(personas, unit_events):
    _, about_account, _ = unit_events
    found = _found({"target": str(personas.pensioner_user.public_id)})
    assert found == {about_account}
    unit_id = str(personas.unit.public_id)
    assert unit_events[0] in _found({"target": unit_id})


def test_text_that_names_nothing_finds_nothing(unit_events):
    assert _found({"target": "no such unit"}) == set()


def test_bindings_and_accounts_read_by_name_with_masked_details(personas, unit_events):
    rows = audit_log.readable(unit_events[:2])
    assert personas.unit.name in rows[0].target
    assert personas.unit.number in rows[0].target
    assert "139****9000" in rows[0].detail
    assert "4306**********203X" in rows[0].detail
    assert "43060319920301203X" not in rows[0].detail
    assert rows[1].target.startswith("账号 ")
    assert personas.pensioner_user.username not in rows[1].target  # an ID number


def test_an_export_longer_than_a_chunk_has_every_row(
    client, personas, unit_events, monkeypatch
):
    monkeypatch.setattr(audit_log, "CHUNK", 2)
    province = testing.make_staff_user(None, username="province_staff")
    client.force_login(province)
    response = client.get(reverse("backoffice:audit-export"))
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    assert sheet.max_row == 1 + len(unit_events)
