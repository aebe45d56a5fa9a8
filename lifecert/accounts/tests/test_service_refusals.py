"""What the account services refuse, called as the views call them."""

import pytest
from django.test import RequestFactory

from lifecert.accounts import services
from lifecert.accounts.models import User
from lifecert.accounts.services import AccountError, OperatorInfo
from lifecert.certification.models import FaceSession
from lifecert.core.audit_actions import AuditAction
from lifecert.core.models import AuditEvent
from lifecert.demo.testing import (
    TEST_PASSWORD,
    make_person,
    make_personal_user,
    make_region,
    make_unit,
    make_unit_user,
)

pytestmark = pytest.mark.django_db

OPERATOR = OperatorInfo(
    name="李经办", phone="13900139000", id_number="43060319920301203X"
)


def _face_session(person, status):
    return FaceSession.objects.create(
        person=person,
        region=make_region(),
        challenge={},
        status=status,
        expires_at="2026-01-01T00:00:00Z",
    )


def test_reclaiming_a_number_needs_the_persons_own_passed_session():
    person, stranger = make_person(), make_person()
    for session in (
        _face_session(person, FaceSession.Status.FAILED),
        _face_session(stranger, FaceSession.Status.PASSED),
    ):
        with pytest.raises(AccountError) as refused:
            services.reclaim_personal_number(
                person=person, face_session=session, phone="", password="x"
            )
        assert refused.value.code == "not_certified"
    assert not User.objects.filter(username=person.ssn).exists()


def test_reclaiming_a_number_nobody_registered_only_makes_the_account():
    person = make_person()
    session = _face_session(person, FaceSession.Status.PASSED)
    user = services.reclaim_personal_number(
        person=person,
        face_session=session,
        phone="13900139000",
        password=TEST_PASSWORD,
    )
    assert user.person == person
    assert user.is_active
    assert not AuditEvent.objects.filter(action=AuditAction.ACCOUNT_RETIRE).exists()


def test_only_unit_accounts_bind_unit_numbers():
    personal = make_personal_user()
    with pytest.raises(AccountError) as by_code:
        services.bind_with_code(
            account=personal, unit_number="1", code="x", operator=OPERATOR
        )
    request = RequestFactory().post("/")
    with pytest.raises(AccountError) as by_old_account:
        services.bind_with_old_account(
            request,
            account=personal,
            old_username="any",
            old_password="any",
            operator=OPERATOR,
        )
    assert by_code.value.code == by_old_account.value.code == "not_unit"


def test_an_account_cannot_bind_itself_nor_an_account_without_units():
    account = make_unit_user(make_unit())
    empty = make_unit_user()
    for old, code in ((account, "same_account"), (empty, "no_units")):
        with pytest.raises(AccountError) as refused:
            services.bind_with_old_account(
                RequestFactory().post("/"),
                account=account,
                old_username=old.username,
                old_password=TEST_PASSWORD,
                operator=OPERATOR,
            )
        assert refused.value.code == code
    assert account.bindings.count() == 1


def test_only_the_holder_changes_a_bindings_operator():
    binding = make_unit_user(make_unit()).bindings.get()
    for account in (make_unit_user(), make_personal_user()):
        with pytest.raises(AccountError) as refused:
            services.update_binding_operator(
                account=account, binding=binding, operator=OPERATOR
            )
        assert refused.value.code == "forbidden"
    binding.refresh_from_db()
    assert binding.operator_name == "王经办"  # as bound (demo.testing)


def test_a_unit_account_name_is_taken_once():
    user = services.register_unit_account(username="hr_office", password=TEST_PASSWORD)
    assert user.kind == User.Kind.UNIT
    assert user.check_password(TEST_PASSWORD)
    assert AuditEvent.objects.filter(
        action=AuditAction.ACCOUNT_REGISTER, target_id=str(user.public_id)
    ).exists()
    with pytest.raises(AccountError) as refused:
        services.register_unit_account(username="hr_office", password=TEST_PASSWORD)
    assert refused.value.code == "exists"
