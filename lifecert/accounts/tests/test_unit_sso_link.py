"""统一身份认证 for units, first use: the identity is linked to the unit's
EXISTING account by the unit's authorization code, or to nothing at all."""

import datetime

import pytest
from django.utils import timezone

from lifecert.accounts.identities import (
    MANY_UNIT_ACCOUNTS,
    NO_UNIT_ACCOUNT,
    Claims,
    IdentityRefused,
    UnitLinkNeeded,
    link_unit_identity,
    login_with_identity,
)
from lifecert.accounts.models import AuthorizationCode, ExternalIdentity, User
from lifecert.accounts.services import (
    CODE_WRONG,
    AccountError,
    OperatorInfo,
    bind_with_code,
    issue_authorization_code,
)
from lifecert.core.models import AuditEvent
from lifecert.demo import testing

pytestmark = pytest.mark.django_db
CLAIMS = Claims(issuer="http://idp/openid", subject="42", name="王经办")


def _link(unit, code, claims=CLAIMS, ip="192.0.2.1"):
    return link_unit_identity(
        claims=claims, unit_number=f" {unit.number} ", code=code, ip=ip
    )


def _refused(match, unit, code, claims=CLAIMS, **kwargs):
    with pytest.raises((AccountError, IdentityRefused), match=match):
        _link(unit, code, claims=claims, **kwargs)
    assert not ExternalIdentity.objects.filter(subject=claims.subject).exists()


def test_a_first_unit_login_asks_for_the_code_and_makes_no_account(personas):
    accounts = User.objects.count()
    with pytest.raises(UnitLinkNeeded) as raised:
        login_with_identity(kind="unit", claims=CLAIMS)
    assert raised.value.claims == CLAIMS
    assert User.objects.count() == accounts
    assert not AuditEvent.objects.exists()


def test_the_code_links_the_units_existing_account_and_is_used_up(personas):
    code = issue_authorization_code(unit=personas.unit, acting_user=personas.staff)
    assert _link(personas.unit, code.lower()) == personas.unit_user
    auth = AuthorizationCode.objects.get(unit=personas.unit)
    assert auth.used_by == personas.unit_user
    logged_in = login_with_identity(kind="unit", claims=CLAIMS)
    assert (logged_in.user, logged_in.linked_now) == (personas.unit_user, False)
    assert not logged_in.password_retired  # a unit account keeps its password
    other = Claims(issuer=CLAIMS.issuer, subject="43")
    _refused("已使用", personas.unit, code, claims=other)


def test_a_code_used_by_a_binding_cannot_link(personas):
    code = issue_authorization_code(unit=personas.unit, acting_user=personas.staff)
    bind_with_code(
        account=testing.make_unit_user(username="newcomer"),
        unit_number=personas.unit.number,
        code=code,
        operator=OperatorInfo("王经办", "13900139000", "440106198001010019"),
    )
    _refused("该授权码已使用", personas.unit, code)


def test_an_expired_code_cannot_link(personas):
    code = issue_authorization_code(unit=personas.unit, acting_user=personas.staff)
    AuthorizationCode.objects.update(
        expires_at=timezone.now() - datetime.timedelta(seconds=1)
    )
    _refused("授权码已过期", personas.unit, code)
    assert AuthorizationCode.objects.get().used_at is None


def test_a_wrong_code_is_counted_per_identity_and_then_refused(personas, settings):
    settings.AUTH_CODE_MAX_PER_ACCOUNT = 2
    code = issue_authorization_code(unit=personas.unit, acting_user=personas.staff)
    for _ in range(2):
        _refused(CODE_WRONG, personas.unit, "WRONG-CODE")
    # Even the right code now waits: the identity used up its tries ...
    _refused("次数过多", personas.unit, code)
    assert AuditEvent.objects.filter(action="authcode.failure").count() == 2
    # ... but another identity at another address is not held up by it.
    other = Claims(issuer=CLAIMS.issuer, subject="43")
    assert _link(personas.unit, code, claims=other, ip="192.0.2.2")


def test_wrong_codes_from_one_address_are_limited_too(personas, settings):
    settings.AUTH_CODE_MAX_PER_ADDRESS = 1
    _refused(CODE_WRONG, personas.unit, "WRONG-CODE")
    other = Claims(issuer=CLAIMS.issuer, subject="43")
    _refused("次数过多", personas.unit, "WRONG-CODE", claims=other)


def test_a_unit_without_an_account_links_nothing_and_keeps_its_code(personas):
    unit = testing.make_unit(region=personas.region, number="4401000099")
    code = issue_authorization_code(unit=unit, acting_user=personas.staff)
    _refused(NO_UNIT_ACCOUNT, unit, code)
    assert AuthorizationCode.objects.get(unit=unit).used_at is None
    refusal = AuditEvent.objects.get(action="identity.refused")
    assert refusal.after["reason"] == NO_UNIT_ACCOUNT


def test_a_unit_with_several_accounts_links_nothing(personas):
    testing.make_unit_user(personas.unit, username="second_unit")
    code = issue_authorization_code(unit=personas.unit, acting_user=personas.staff)
    _refused(MANY_UNIT_ACCOUNTS, personas.unit, code)
    assert AuthorizationCode.objects.get(unit=personas.unit).used_at is None


def test_an_inactive_unit_account_is_not_linked(personas):
    User.objects.filter(pk=personas.unit_user.pk).update(is_active=False)
    code = issue_authorization_code(unit=personas.unit, acting_user=personas.staff)
    _refused("已停用", personas.unit, code)


def test_an_identity_linked_meanwhile_to_another_account_stays_so(personas):
    ExternalIdentity.objects.create(
        issuer=CLAIMS.issuer,
        subject=CLAIMS.subject,
        kind="unit",
        user=personas.outsider_unit_user,
    )
    code = issue_authorization_code(unit=personas.unit, acting_user=personas.staff)
    with pytest.raises(IdentityRefused, match="已关联其他单位账号"):
        _link(personas.unit, code)
    assert AuthorizationCode.objects.get(unit=personas.unit).used_at is None


def test_the_same_identity_linked_meanwhile_logs_in_without_the_code(personas):
    ExternalIdentity.objects.create(
        issuer=CLAIMS.issuer,
        subject=CLAIMS.subject,
        kind="unit",
        user=personas.unit_user,
    )
    code = issue_authorization_code(unit=personas.unit, acting_user=personas.staff)
    assert _link(personas.unit, code) == personas.unit_user
    assert AuthorizationCode.objects.get(unit=personas.unit).used_at is None
