import datetime
import uuid

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from lifecert.certification.models import Certification, Channel
from lifecert.core.masking import mask_id
from lifecert.core.models import AuditEvent
from lifecert.demo import testing
from lifecert.employer import services
from lifecert.registry.models import Entitlement

from .conftest import CONFIRM, LIST, SAVE, SELECT, accept, select, shown_for, token_of


def certified(entitlement):
    return Certification.objects.filter(
        entitlement=entitlement, channel=Channel.UNIT
    ).count()


# ------------------------------------------------------------------ the list


def test_list_shows_normal_pensioners_not_certified_this_month(bob, office):
    response = bob.get(LIST)
    assert response.status_code == 200
    text = response.content.decode()
    assert "显示第 1 到第 10 条记录，总共 25 条记录" in text
    assert "每页显示 10 条记录" in text
    for header in (
        "姓名",
        "证件号码",
        "联系电话",
        "居住地址",
        "上次认证时间",
        "审核结果",
    ):
        assert f"<th>{header}</th>" in text
    shown = {str(e.public_id) for e in response.context["pager"].page.object_list}
    assert str(office.certified_this_month.public_id) not in text
    assert str(office.suspended.public_id) not in text
    assert str(office.terminated.public_id) not in text
    assert len(shown) == 10


def test_list_masks_id_numbers(bob, office):
    text = bob.get(LIST).content.decode()
    assert "43060319920301203X" not in text
    assert "4306**********203X" in text


def test_list_pages_cover_everyone_once_never_certified_first(bob, office):
    seen = []
    for page in (1, 2, 3):
        pager = bob.get(LIST, {"page": page}).context["pager"]
        seen += list(pager.page.object_list)
    assert {e.pk for e in seen} == {e.pk for e in office.pending}
    assert len(seen) == 25
    nulls = [e.last_certified_at is None for e in seen]
    assert nulls == sorted(nulls, reverse=True)
    assert "显示第 21 到第 25 条记录，总共 25 条记录" in bob.get(
        LIST, {"page": 3}
    ).content.decode("utf-8")


def test_search_by_name_prefix_and_by_id_number(bob, office):
    pager = bob.post(LIST, {"name": "张0"}, follow=True).context["pager"]
    assert pager.total == 10
    response = bob.post(LIST, {"ssn": "43060319920301203x"}, follow=True)
    assert [e.pk for e in response.context["pager"].page.object_list] == [
        office.personas.entitlement.pk
    ]


def test_search_does_not_reach_other_units(bob, office):
    pager = bob.post(LIST, {"ssn": office.foreign.person.ssn}, follow=True).context[
        "pager"
    ]
    assert pager.total == 0


def test_list_without_commitment_goes_to_the_letter(client, office):
    client.force_login(office.personas.unit_user)
    response = client.get(LIST)
    assert response.status_code == 302
    assert response.url == reverse("employer:commitment")


def test_list_query_count_is_bounded(bob, office, django_assert_max_num_queries):
    with django_assert_max_num_queries(12):
        assert bob.get(LIST, {"page": 2}).status_code == 200


# ------------------------------------------------------------------ saving
#
# 保存 is three requests: the list form (ticks, 保存) → the confirmation page,
# which lists the people and holds a one-time token → 确认认证 with that token.


def test_save_certifies_the_ticked_rows(bob, office):
    chosen = office.pending[:3]
    confirm = select(bob, office, chosen, action="save", follow=True)
    text = confirm.content.decode()
    assert "确认认证（3 人）" in text
    for entitlement in chosen:
        assert entitlement.person.name in text
        assert mask_id(entitlement.person.ssn) in text
        assert entitlement.person.ssn not in text
    assert certified(chosen[0]) == 0  # nothing is saved before 确认认证
    response = bob.post(SAVE, {"token": token_of(confirm)}, follow=True)
    assert "认证成功，共 3 人。" in response.content.decode()
    for entitlement in chosen:
        assert certified(entitlement) == 1
        entitlement.refresh_from_db()
        assert entitlement.last_certified_at is not None
    cert = Certification.objects.filter(channel=Channel.UNIT).first()
    assert cert.unit == office.personas.unit
    assert cert.operator == office.personas.unit_user
    assert cert.operator_name == "王经办"
    assert cert.person_id in {e.person_id for e in chosen}
    assert AuditEvent.objects.filter(action="certification.unit").count() == 3
    assert response.context["pager"].total == 22
    assert response.context["selected_count"] == 0  # 已选 is cleared by the save


def test_double_submit_creates_no_duplicate(bob, office):
    confirm = select(bob, office, office.pending[:1], action="save", follow=True)
    data = {"token": token_of(confirm)}
    bob.post(SAVE, data)
    response = bob.post(SAVE, data, follow=True)
    assert certified(office.pending[0]) == 1
    assert "本次提交没有认证任何人员" in response.content.decode()


def test_someone_certified_meanwhile_by_another_channel_is_skipped(bob, office):
    first, second = office.pending[:2]
    confirm = select(bob, office, [first, second], action="save", follow=True)
    testing.make_certification(first, certified_at=timezone.now())
    response = bob.post(SAVE, {"token": token_of(confirm)}, follow=True)
    text = response.content.decode()
    assert "认证成功，共 1 人。" in text
    assert "1 人本月已完成认证" in text
    assert certified(first) == 0
    assert certified(second) == 1


def test_someone_certified_before_the_confirmation_is_not_listed(bob, office):
    first, second = office.pending[:2]
    select(bob, office, [first, second])
    testing.make_certification(first, certified_at=timezone.now())
    confirm = bob.get(CONFIRM)
    review = confirm.context["review"]
    assert [row.public_id for row in review.rows] == [second.public_id]
    assert [row.public_id for row in review.certified] == [first.public_id]
    assert "本月已认证，不在本次名单中（1 人）" in confirm.content.decode()


def test_select_all_that_match_certifies_beyond_the_page(bob, office):
    confirm = select(
        bob, office, [], action="save", scope="all", name="张", follow=True
    )
    review = confirm.context["review"]
    assert review.total == 24
    assert review.complete  # 24 people: all of them listed by name
    assert len(review.rows) == 24
    response = bob.post(SAVE, {"token": token_of(confirm)}, follow=True)
    assert "认证成功，共 24 人。" in response.content.decode()
    assert Certification.objects.filter(channel=Channel.UNIT).count() == 24
    assert certified(office.personas.entitlement) == 0
    assert certified(office.foreign) == 0


def test_select_all_without_search_certifies_the_whole_list(bob, office):
    confirm = select(bob, office, [], action="save", scope="all", follow=True)
    bob.post(SAVE, {"token": token_of(confirm)})
    assert Certification.objects.filter(channel=Channel.UNIT).count() == 25
    assert bob.get(LIST).context["pager"].total == 0


@pytest.mark.parametrize("who", ["foreign", "unknown"])
def test_crafted_ids_never_reach_the_confirmation(bob, office, who):
    crafted = (
        office.foreign.public_id
        if who == "foreign"
        else uuid.UUID("6f1c1a52-4d4b-4a4e-9f5e-000000000000")
    )
    # Even signed as shown (a page cannot show them), they are not listed.
    select(bob, office, [office.pending[0].public_id, crafted])
    confirm = bob.get(CONFIRM)
    review = confirm.context["review"]
    assert [row.public_id for row in review.rows] == [office.pending[0].public_id]
    assert review.gone == 1
    assert "1 人已不属于本单位" in confirm.content.decode()
    bob.post(SAVE, {"token": token_of(confirm)})
    assert Certification.objects.filter(channel=Channel.UNIT).count() == 1
    assert certified(office.foreign) == 0


@pytest.mark.parametrize("state", ["suspended", "terminated"])
def test_suspended_or_terminated_ids_are_refused(bob, office, state):
    entitlement = getattr(office, state)
    confirm = select(bob, office, [entitlement], action="save", follow=True)
    text = confirm.content.decode()
    assert "待遇领取状态不是正常" in text
    assert "请本人到窗口或申请上门认证" in text
    assert confirm.context["confirmation"] is None
    assert 'id="confirm-form"' not in text
    assert Certification.objects.filter(entitlement=entitlement).count() == 0
    entitlement.refresh_from_db()
    assert entitlement.last_certified_at is None


def test_malformed_uuid_is_refused(bob, office):
    response = bob.post(
        SELECT,
        {
            "shown": shown_for(office, office.pending[:1]),
            "selected": [str(office.pending[0].public_id), "1 OR 1=1"],
            "action": "save",
        },
        follow=True,
    )
    assert "所选人员编号无效" in response.content.decode()
    assert response.context["selected_count"] == 0
    assert Certification.objects.filter(channel=Channel.UNIT).count() == 0


def test_nothing_ticked_says_so(bob, office):
    response = select(bob, office, [], action="save", follow=True)
    assert "请先勾选需要做资格认证的员工。" in response.content.decode()
    assert "confirmation" not in response.context


def test_save_without_commitment_is_refused(client, office):
    client.force_login(office.personas.unit_user)
    for response in (
        client.post(SELECT, {"shown": "x", "action": "save"}),
        client.get(CONFIRM),
        client.post(SAVE, {"token": "x"}),
    ):
        assert response.url in (reverse("employer:commitment"), LIST)
    assert Certification.objects.filter(channel=Channel.UNIT).count() == 0


def test_outsider_cannot_certify_our_pensioners(client, office):
    dave = office.personas.outsider_unit_user
    accept(dave, office.personas.other_unit)
    client.force_login(dave)
    # A page signed for our unit is not a page of dave's unit.
    response = client.post(
        SELECT,
        {
            "shown": shown_for(office, office.pending[:1]),
            "selected": [str(office.pending[0].public_id)],
            "action": "save",
        },
        follow=True,
    )
    assert "未做任何更改" in response.content.decode()
    assert client.get(CONFIRM).context["confirmation"] is None
    assert Certification.objects.filter(channel=Channel.UNIT).count() == 0


def test_save_without_csrf_token_is_refused(office):
    client = Client(enforce_csrf_checks=True)
    accept(office.personas.unit_user, office.personas.unit)
    client.force_login(office.personas.unit_user)
    for url in (SELECT, SAVE):
        assert client.post(url, {"token": "x"}).status_code == 403
    assert Certification.objects.filter(channel=Channel.UNIT).count() == 0


def test_save_query_count_does_not_grow_with_rows(
    bob, office, django_assert_max_num_queries
):
    confirm = select(bob, office, [], action="save", scope="all", follow=True)
    with django_assert_max_num_queries(20):
        bob.post(SAVE, {"token": token_of(confirm)})
    assert Certification.objects.filter(channel=Channel.UNIT).count() == 25


def test_confirmation_query_count_does_not_grow_with_rows(
    bob, office, django_assert_max_num_queries
):
    select(bob, office, office.pending[:10], action="save")
    with django_assert_max_num_queries(10):
        assert len(bob.get(CONFIRM).context["review"].rows) == 10
    select(bob, office, [], action="save", scope="all")
    with django_assert_max_num_queries(10):
        assert len(bob.get(CONFIRM).context["review"].rows) == 25


# ------------------------------------------------------------------ service


def test_service_writes_set_based_rows_and_audit(office):
    personas = office.personas
    accept(personas.unit_user, personas.unit)
    binding = personas.unit_user.bindings.get()
    at = timezone.now() - datetime.timedelta(minutes=1)
    result = services.certify_pensioners(
        acting_user=personas.unit_user,
        binding=binding,
        entitlement_ids=[e.public_id for e in office.pending[:2]],
        ip="10.0.0.9",
        now=at,
    )
    assert result.saved == 2
    certs = Certification.objects.filter(channel=Channel.UNIT)
    assert {c.certified_at for c in certs} == {at}
    assert all(c.public_id and c.receipt_code is None for c in certs)
    assert certs[0].evidence["unit"] == personas.unit.number
    events = AuditEvent.objects.filter(action="certification.unit")
    assert {e.target_id for e in events} == {
        str(e.public_id) for e in office.pending[:2]
    }
    assert {e.ip for e in events} == {"10.0.0.9"}
    assert Entitlement.objects.filter(last_certified_at=at).count() == 2


def test_a_search_by_id_number_is_four_statements(
    bob, office, django_assert_num_queries
):
    """Session, account, its bindings with their units, and the person by the
    ssn index."""
    bob.get(LIST)  # the commitment is remembered in the session from here on
    # The number is kept in the session; the URL names it by a key.
    searched = bob.post(LIST, {"ssn": office.personas.entitlement.person.ssn}).url
    with django_assert_num_queries(4):
        response = bob.get(searched)
    rows = response.context["pager"].page.object_list
    assert [row.pk for row in rows] == [office.personas.entitlement.pk]
    assert isinstance(rows[0].public_id, uuid.UUID)
