"""certify_pensioners, called directly: every refusal writes nothing."""

import pytest

from lifecert.accounts.models import UnitBinding
from lifecert.certification.models import Certification
from lifecert.demo import testing
from lifecert.employer import services
from lifecert.employer.access import Search

from .conftest import accept

pytestmark = pytest.mark.django_db


@pytest.fixture
def binding(personas):
    return UnitBinding.objects.get(account=personas.unit_user, unit=personas.unit)


@pytest.fixture
def accepted(binding, personas):
    accept(personas.unit_user, personas.unit)
    return binding


def _certify(binding, personas, **kwargs):
    return services.certify_pensioners(
        acting_user=personas.unit_user, binding=binding, **kwargs
    )


def test_without_the_commitment_nothing_is_saved(binding, personas):
    with pytest.raises(services.EmployerError, match="承诺书"):
        _certify(binding, personas, entitlement_ids=[personas.entitlement.public_id])
    assert not Certification.objects.exists()


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({}, "请先勾选"),
        ({"search": Search(name="张")}, "请先确认认证名单"),
    ],
)
def test_an_empty_or_unconfirmed_request_is_refused(accepted, personas, kwargs, words):
    with pytest.raises(services.EmployerError, match=words):
        _certify(accepted, personas, **kwargs)


def test_more_than_the_selection_cap_is_refused(accepted, personas, monkeypatch):
    monkeypatch.setattr(services, "MAX_SELECTED", 2)
    ids = [testing.make_entitlement().public_id for _ in range(3)]
    with pytest.raises(services.EmployerError, match="一次最多勾选 2 人"):
        _certify(accepted, personas, entitlement_ids=ids)


def test_a_stranger_in_the_selection_refuses_the_whole_request(accepted, personas):
    stranger = testing.make_entitlement()
    with pytest.raises(services.EmployerError, match="不属于本单位"):
        _certify(
            accepted,
            personas,
            entitlement_ids=[personas.entitlement.public_id, stranger.public_id],
        )
    assert not Certification.objects.exists()


def test_a_changed_set_after_the_confirmation_saves_nobody(accepted, personas):
    with pytest.raises(services.EmployerError, match="确认之后符合条件的人员有变化"):
        _certify(accepted, personas, search=Search(), confirmed_digest="stale")
    assert not Certification.objects.exists()


def test_the_result_says_who_was_saved_and_who_was_skipped(accepted, personas):
    suspended = testing.make_entitlement(
        region=personas.region, unit=personas.unit, status="suspended"
    )
    first = _certify(
        accepted,
        personas,
        entitlement_ids=[personas.entitlement.public_id, suspended.public_id],
    )
    assert (first.saved, first.not_normal, first.skipped) == (1, 1, 1)
    assert "认证成功，共 1 人" in first.message()
    assert "暂停或终止" in first.message()
    again = _certify(
        accepted, personas, entitlement_ids=[personas.entitlement.public_id]
    )
    assert (again.saved, again.already_certified) == (0, 1)
    assert "没有需要认证的人员" in again.message()
    assert "本月已完成认证" in again.message()
