"""Registration and binding sent twice (double click, Back and send again)
act once: the repeat lands on the first one's page, 已提交过，请勿重复提交."""

import pytest
from axes.models import AccessAttempt
from django.test import Client
from django.urls import reverse

from lifecert.accounts import services
from lifecert.accounts.models import UnitBinding, User
from lifecert.conftest import Personas
from lifecert.core.models import AuditEvent
from lifecert.demo.testing import (
    TEST_PASSWORD,
    make_entitlement,
    make_person,
    make_ssn,
    make_user,
    once_value,
)

pytestmark = pytest.mark.django_db
REPEATED = "已提交过，请勿重复提交"
OPERATOR = {"operator_name": "陈经办", "operator_phone": "13712345678"}


def test_a_personal_registration_sent_twice_registers_once(client: Client) -> None:
    person = make_person(name="李秀英")
    make_entitlement(person=person)
    url = reverse("accounts:personal-register")
    data = {
        "name": "李秀英",
        "ssn": person.ssn,
        "phone": "13800138001",
        "password1": "Ab-cdef-12345",
        "password2": "Ab-cdef-12345",
        "once": once_value(client.get(url)),
    }
    assert client.post(url, data)["Location"] == reverse("pensioner:centre")
    again = client.post(url, data, follow=True)
    assert again.redirect_chain[0] == (reverse("pensioner:centre"), 302)
    page = again.content.decode()
    assert REPEATED in page
    assert "已注册" not in page
    assert User.objects.filter(username=person.ssn).count() == 1
    assert AuditEvent.objects.filter(action="account.register").count() == 1
    # Back and send again from a new browser (the first login not kept).
    stranger = Client().post(url, data, follow=True)
    assert REPEATED in stranger.content.decode()


def test_a_unit_registration_sent_twice_registers_once(client: Client) -> None:
    url = reverse("accounts:unit-register")
    data = {
        "username": "unit_twice",
        "password1": "Ab-cdef-12345",
        "password2": "Ab-cdef-12345",
        "once": once_value(client.get(url)),
    }
    assert client.post(url, data).status_code == 302
    again = client.post(url, data, follow=True)
    assert REPEATED in again.content.decode()
    assert "已被注册" not in again.content.decode()
    assert User.objects.filter(username="unit_twice").count() == 1


def test_a_binding_by_code_sent_twice_binds_once(
    client: Client, personas: Personas
) -> None:
    code = services.issue_authorization_code(
        unit=personas.unit, acting_user=personas.staff
    )
    account = make_user(User.Kind.UNIT, username="new_unit")
    client.force_login(account)
    url = reverse("accounts:unit-bind-code")
    data = {
        "unit_number": personas.unit.number,
        "code": code,
        "operator_id_number": make_ssn(born="19800101"),
        "once": once_value(client.get(url)),
        **OPERATOR,
    }
    assert client.post(url, data)["Location"] == reverse("accounts:unit-home")
    again = client.post(url, data, follow=True)
    assert again.redirect_chain == [(reverse("accounts:unit-home"), 302)]
    page = again.content.decode()
    assert REPEATED in page
    assert "无需重复绑定" not in page
    assert UnitBinding.objects.filter(account=account).count() == 1


def test_a_binding_by_old_account_sent_twice_binds_once_and_a_wrong_password_counts(
    client: Client, personas: Personas
) -> None:
    account = make_user(User.Kind.UNIT, username="new_unit")
    client.force_login(account)
    url = reverse("accounts:unit-bind-old")
    data = {
        "old_username": "bob_unit",
        "old_password": "wrong",
        "operator_id_number": make_ssn(born="19800101"),
        "once": once_value(client.get(url)),
        **OPERATOR,
    }
    refused = client.post(url, data)
    assert "旧账号或密码不正确" in refused.content.decode()
    # The refusal is counted toward the lockout, claim or not.
    assert AccessAttempt.objects.filter(username="bob_unit").exists()
    data["old_password"] = TEST_PASSWORD
    assert client.post(url, data).status_code == 302
    again = client.post(url, data, follow=True)
    assert REPEATED in again.content.decode()
    assert "无需重复绑定" not in again.content.decode()
    assert UnitBinding.objects.filter(account=account).count() == 1


def test_an_sso_link_sent_twice_links_once(client: Client, personas: Personas) -> None:
    import time

    from lifecert.accounts.models import ExternalIdentity
    from lifecert.accounts.oidc import SESSION_PENDING

    pending = {"issuer": "http://idp/openid", "subject": "42", "name": "王经办"}
    session = client.session
    session[SESSION_PENDING] = {**pending, "at": time.time()}
    session.save()
    url = reverse("accounts:unit-sso-link")
    code = services.issue_authorization_code(
        unit=personas.unit, acting_user=personas.staff
    )
    data = {
        "unit_number": personas.unit.number,
        "code": code,
        "once": once_value(client.get(url)),
    }
    assert client.post(url, data)["Location"] == reverse("accounts:unit-home")
    # A double click: the second request read the session before the first
    # one's answer dropped the pending identity.
    session = client.session
    session[SESSION_PENDING] = {**pending, "at": time.time()}
    session.save()
    again = client.post(url, data, follow=True)
    assert again.redirect_chain == [(reverse("accounts:unit-home"), 302)]
    assert REPEATED in again.content.decode()
    assert ExternalIdentity.objects.count() == 1
    assert AuditEvent.objects.filter(action="identity.link").count() == 1
