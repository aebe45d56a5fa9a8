import pytest
from django.test import Client
from django.urls import reverse

from lifecert.accounts import services
from lifecert.accounts.models import AuthorizationCode, UnitBinding, User
from lifecert.core.models import AuditEvent
from lifecert.demo.testing import make_ssn, make_unit, make_user

pytestmark = pytest.mark.django_db
BIND = reverse("accounts:unit-bind-code")


@pytest.fixture
def fresh_account():
    return make_user(User.Kind.UNIT, username="new_unit")


def _bind(client, unit_number, code, **overrides):
    data = {
        "unit_number": unit_number,
        "code": code,
        "operator_name": "陈经办",
        "operator_phone": "13712345678",
        "operator_id_number": make_ssn(born="19800101"),
    }
    data.update(overrides)
    return client.post(BIND, data)


def _code_for(unit, staff):
    return services.issue_authorization_code(unit=unit, acting_user=staff)


def test_unbound_account_is_asked_to_real_name_first(client, fresh_account):
    client.force_login(fresh_account)
    response = client.get(reverse("accounts:unit-home"), follow=True)
    assert response.redirect_chain[-1][0] == BIND
    assert "授权码实名认证" in response.content.decode()


def test_a_new_account_can_bind_with_an_old_account_too(client, fresh_account):
    """The seed's 使用旧账号添加绑定 is offered where a new account lands."""
    client.force_login(fresh_account)
    page = client.get(reverse("accounts:unit-home"), follow=True).content.decode()
    assert f'href="{reverse("accounts:unit-bind-old")}">使用旧账号添加绑定' in page
    old = client.get(reverse("accounts:unit-bind-old")).content.decode()
    assert f'href="{BIND}">使用授权码添加绑定' in old


def test_bind_with_code_then_a_second_unit_and_switch(client, personas, fresh_account):
    code = _code_for(personas.unit, personas.staff)
    client.force_login(fresh_account)
    response = _bind(client, personas.unit.number, code)
    assert response.status_code == 302
    binding = UnitBinding.objects.get(account=fresh_account)
    assert binding.unit == personas.unit
    assert binding.operator_name == "陈经办"
    assert AuditEvent.objects.filter(
        action="binding.create", actor=fresh_account
    ).exists()

    second = make_unit(region=personas.region, number="4401000099", name="第二单位")
    code2 = _code_for(second, personas.staff)
    assert _bind(client, second.number, code2.lower()).status_code == 302

    home = client.get(reverse("accounts:unit-home")).content.decode()
    for choice in (
        "修改绑定信息",
        "使用授权码添加绑定",
        "使用旧账号添加绑定",
        "直接登录",
    ):
        assert choice in home
    page = client.get(reverse("employer:index")).content.decode()
    assert "多绑切换" in page
    other = UnitBinding.objects.get(account=fresh_account, unit=second)
    client.post(reverse("accounts:unit-switch"), {"binding": str(other.public_id)})
    page = client.get(reverse("employer:index")).content.decode()
    assert 'id="current-unit">第二单位' in page


def test_wrong_codes_are_limited_per_account_not_per_unit(
    client, personas, fresh_account
):
    code = _code_for(personas.unit, personas.staff)
    client.force_login(fresh_account)
    for _ in range(5):
        response = _bind(client, personas.unit.number, "AAAA-BBBB-CCCC-DDDD")
        assert services.CODE_WRONG in response.content.decode()
    # The guessing account is stopped, even with the right code...
    response = _bind(client, personas.unit.number, code)
    assert "授权码输入错误次数过多" in response.content.decode()
    assert not UnitBinding.objects.filter(account=fresh_account).exists()
    assert AuditEvent.objects.filter(action="authcode.failure").count() == 5
    # ...but the unit's code is not locked: its real operator, on another
    # account and address, still binds with it.
    operator = make_user(User.Kind.UNIT, username="real_operator")
    other = Client(REMOTE_ADDR="10.0.0.9")
    other.force_login(operator)
    assert _bind(other, personas.unit.number, code).status_code == 302


def test_wrong_codes_are_limited_per_address_across_accounts(
    client, personas, settings
):
    code = _code_for(personas.unit, personas.staff)
    for n in range(settings.AUTH_CODE_MAX_PER_ADDRESS):
        if n % settings.AUTH_CODE_MAX_PER_ACCOUNT == 0:
            client.force_login(make_user(User.Kind.UNIT, username=f"guess{n}"))
        _bind(client, personas.unit.number, f"WRONG{n}")
    client.force_login(make_user(User.Kind.UNIT, username="one_more"))
    response = _bind(client, personas.unit.number, code)
    assert "授权码输入错误次数过多" in response.content.decode()


def test_a_code_is_used_up_by_the_binding_it_makes(client, personas, fresh_account):
    code = _code_for(personas.unit, personas.staff)
    client.force_login(fresh_account)
    assert _bind(client, personas.unit.number, code).status_code == 302
    auth = AuthorizationCode.objects.get(unit=personas.unit)
    assert auth.used_at is not None
    assert auth.used_by == fresh_account
    # A second, unrelated account cannot reuse it.
    stranger = make_user(User.Kind.UNIT, username="stranger_unit")
    client.force_login(stranger)
    response = _bind(client, personas.unit.number, code)
    assert "授权码已使用" in response.content.decode()
    assert not UnitBinding.objects.filter(account=stranger).exists()
    # A new code from the bureau binds it.
    new_code = _code_for(personas.unit, personas.staff)
    assert _bind(client, personas.unit.number, new_code).status_code == 302
    assert AuditEvent.objects.filter(action="authcode.used").count() == 2


def test_a_reissued_code_voids_the_old_one(client, personas, fresh_account):
    old = _code_for(personas.unit, personas.staff)
    new = _code_for(personas.unit, personas.staff)
    client.force_login(fresh_account)
    assert (
        services.CODE_WRONG in _bind(client, personas.unit.number, old).content.decode()
    )
    assert _bind(client, personas.unit.number, new).status_code == 302


def test_the_service_binds_one_account_per_code(personas):
    """Straight through the service too (the code row is locked while it is
    used, so a concurrent second account waits and then finds it used)."""
    code = _code_for(personas.unit, personas.staff)
    operator = services.OperatorInfo("陈经办", "13712345678", make_ssn(born="19800101"))
    first = make_user(User.Kind.UNIT, username="first_unit")
    second = make_user(User.Kind.UNIT, username="second_unit")
    services.bind_with_code(
        account=first, unit_number=personas.unit.number, code=code, operator=operator
    )
    with pytest.raises(services.AccountError) as refused:
        services.bind_with_code(
            account=second,
            unit_number=personas.unit.number,
            code=code,
            operator=operator,
        )
    assert refused.value.code == "used"
    assert not UnitBinding.objects.filter(account=second).exists()
    assert UnitBinding.objects.filter(account=first, unit=personas.unit).exists()


def test_answers_do_not_tell_which_units_have_a_code(client, personas, fresh_account):
    _code_for(personas.unit, personas.staff)
    other_code = _code_for(personas.other_unit, personas.outsider_staff)
    client.force_login(fresh_account)
    with_code = _bind(client, personas.unit.number, "AAAA").content.decode()
    without_code = _bind(client, "4401009999", "AAAA").content.decode()
    other_units_code = _bind(client, personas.unit.number, other_code)
    for page in (with_code, without_code, other_units_code.content.decode()):
        assert services.CODE_WRONG in page
        assert "不属于此单位" not in page
        assert "尚未获取授权码" not in page
    assert not UnitBinding.objects.filter(account=fresh_account).exists()


def test_duplicate_binding_is_refused(client, personas):
    code = _code_for(personas.unit, personas.staff)
    client.force_login(personas.unit_user)  # already bound to personas.unit
    response = _bind(client, personas.unit.number, code)
    assert "已绑定到本账号" in response.content.decode()
    assert UnitBinding.objects.filter(account=personas.unit_user).count() == 1


def test_expired_code_is_refused(client, personas, fresh_account, settings):
    settings.AUTH_CODE_VALID_DAYS = 0
    code = _code_for(personas.unit, personas.staff)
    client.force_login(fresh_account)
    assert "已过期" in _bind(client, personas.unit.number, code).content.decode()


def test_codes_are_stored_hashed(personas):
    code = _code_for(personas.unit, personas.staff)
    auth = AuthorizationCode.objects.get(unit=personas.unit)
    assert code.replace("-", "") not in auth.code_hash
    assert len(auth.code_hash) == 64


def test_bind_with_old_account(client, personas, fresh_account):
    client.force_login(fresh_account)
    data = {
        "old_username": "bob_unit",
        "old_password": "wrong",
        "operator_name": "陈经办",
        "operator_phone": "13712345678",
        "operator_id_number": make_ssn(born="19800101"),
    }
    response = client.post(reverse("accounts:unit-bind-old"), data)
    assert "旧账号或密码不正确" in response.content.decode()
    from lifecert.demo.testing import TEST_PASSWORD

    data["old_password"] = TEST_PASSWORD
    assert client.post(reverse("accounts:unit-bind-old"), data).status_code == 302
    assert UnitBinding.objects.filter(
        account=fresh_account, unit=personas.unit
    ).exists()
    again = client.post(reverse("accounts:unit-bind-old"), data)
    assert "无需重复绑定" in again.content.decode()


def test_only_the_holding_unit_account_edits_the_bound_operator(client, personas):
    binding = UnitBinding.objects.get(account=personas.unit_user)
    url = reverse("accounts:unit-binding-edit", args=[binding.public_id])
    data = {
        "operator_name": "新经办",
        "operator_phone": "13512345678",
        "operator_id_number": make_ssn(born="19850101"),
    }
    client.force_login(personas.outsider_unit_user)
    assert client.post(url, data).status_code == 404
    client.force_login(personas.pensioner_user)
    assert client.post(url, data).status_code == 403
    client.force_login(personas.unit_user)
    assert client.post(url, data).status_code == 302
    binding.refresh_from_db()
    assert binding.operator_name == "新经办"
    event = AuditEvent.objects.get(action="binding.update")
    assert event.before["name"] == "王经办"


def _edit_operator_name(client, personas, typed):
    """The unit's own binding sent back with ``typed`` as 经办人姓名."""
    binding = UnitBinding.objects.get(account=personas.unit_user)
    url = reverse("accounts:unit-binding-edit", args=[binding.public_id])
    data = {
        "operator_name": typed,
        "operator_phone": "13512345678",
        "operator_id_number": make_ssn(born="19850101"),
    }
    client.force_login(personas.unit_user)
    return binding, client.post(url, data)


@pytest.mark.parametrize(
    "typed", ["２０２６－１２－０１", "-1", "' OR 1=1 --", "😀👍🏽", "NaN 1e308"]
)
def test_the_bound_operator_name_is_a_name(client, personas, typed):
    """The walk's odd values were all kept as the operator's name and shown on
    every page of the unit (经办人 ２０２６－１２－０１)."""
    binding, response = _edit_operator_name(client, personas, typed)
    assert response.status_code == 200
    assert "经办人姓名只能包含汉字、字母和间隔号（·）" in response.content.decode()
    binding.refresh_from_db()
    assert binding.operator_name == "王经办"


@pytest.mark.parametrize(
    ("typed", "kept"),
    [
        ("  陈  经办 ", "陈 经办"),
        ("买买提·艾力", "买买提·艾力"),
        ("Mary O'Neil-Smith", "Mary O'Neil-Smith"),
    ],
)
def test_names_of_every_kind_are_taken(client, personas, typed, kept):
    binding, response = _edit_operator_name(client, personas, typed)
    assert response.status_code == 302
    binding.refresh_from_db()
    assert binding.operator_name == kept


def test_switch_to_someone_elses_binding_or_a_bad_id_is_404(client, personas):
    other = UnitBinding.objects.get(account=personas.outsider_unit_user)
    client.force_login(personas.unit_user)
    url = reverse("accounts:unit-switch")
    assert client.post(url, {"binding": str(other.public_id)}).status_code == 404
    assert client.post(url, {"binding": "not-a-uuid"}).status_code == 404
    assert client.get(url).status_code == 405


def test_binding_post_without_csrf_is_refused(personas, fresh_account):
    code = _code_for(personas.unit, personas.staff)
    client = Client(enforce_csrf_checks=True)
    client.force_login(fresh_account)
    assert _bind(client, personas.unit.number, code).status_code == 403
    assert not UnitBinding.objects.filter(account=fresh_account).exists()
