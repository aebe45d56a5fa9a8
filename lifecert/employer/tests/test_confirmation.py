"""保存 cannot be misclicked: what a stale, restored, replayed or crafted form gets.

The flow is list form (ticks) → confirmation page (names, masked numbers, a
one-time token with exactly that set) → 确认认证. Each test here is an attack or
a slip the old single-POST 保存 let through.
"""

import re

import pytest
from django.urls import reverse
from django.utils import timezone

from lifecert.certification.models import Certification, Channel
from lifecert.core.models import AuditEvent
from lifecert.demo import testing
from lifecert.demo.testing import once_value
from lifecert.employer import access, services, views
from lifecert.employer.selection import sign_shown

from .conftest import CONFIRM, LIST, SAVE, SELECT, select, shown_for, token_of

STALE = "本次提交没有认证任何人员"


def unit_certified():
    return set(
        Certification.objects.filter(channel=Channel.UNIT).values_list(
            "entitlement_id", flat=True
        )
    )


def page_rows(client, **params):
    return [row.public_id for row in client.get(LIST, params).context["pager"].page]


# ------------------------------------------------------------ the one-time token


def test_a_used_confirmation_replayed_certifies_nobody_new(bob, office):
    """Back to the confirmation and 确认认证 again: refused, and it says so."""
    first, second = office.pending[:2]
    confirm = select(bob, office, [first], action="save", follow=True)
    token = token_of(confirm)
    bob.post(SAVE, {"token": token})
    # Meanwhile the clerk ticks someone else; the old page must not save them.
    select(bob, office, [second], action="save")
    response = bob.post(SAVE, {"token": token}, follow=True)
    assert STALE in response.content.decode()
    assert unit_certified() == {first.pk}
    assert AuditEvent.objects.filter(action="certification.unit").count() == 1


def test_an_older_confirmation_is_stale_once_a_newer_is_shown(bob, office):
    first, second = office.pending[:2]
    old = select(bob, office, [first], action="save", follow=True)
    select(bob, office, [first, second], action="save")
    new = bob.get(CONFIRM)
    response = bob.post(SAVE, {"token": token_of(old)}, follow=True)
    assert STALE in response.content.decode()
    assert unit_certified() == set()
    # The stale try does not spend the current confirmation.
    bob.post(SAVE, {"token": token_of(new)})
    assert unit_certified() == {first.pk, second.pk}


@pytest.mark.parametrize("token", ["", "made-up-token"])
def test_a_missing_or_made_up_token_certifies_nobody(bob, office, token):
    select(bob, office, office.pending[:3], action="save", follow=True)
    response = bob.post(SAVE, {"token": token, "selected": "ignored"}, follow=True)
    assert STALE in response.content.decode()
    assert unit_certified() == set()


def test_the_save_certifies_the_confirmed_set_not_the_posted_ids(bob, office):
    """Ids posted beside the token are ignored: only the confirmation counts."""
    first, other = office.pending[0], office.pending[5]
    confirm = select(bob, office, [first], action="save", follow=True)
    bob.post(SAVE, {"token": token_of(confirm), "selected": [str(other.public_id)]})
    assert unit_certified() == {first.pk}


def test_a_token_is_for_its_own_unit_number(client, office):
    """A confirmation shown for one binding cannot be spent on another (多绑)."""
    personas = office.personas
    operator = testing.make_unit_user(personas.unit, personas.other_unit)
    from .conftest import accept

    accept(operator, personas.unit)
    accept(operator, personas.other_unit)
    client.force_login(operator)
    ours = operator.bindings.get(unit=personas.unit)
    client.post(
        SELECT,
        {
            "shown": sign_shown(ours, [office.pending[0].public_id]),
            "selected": [str(office.pending[0].public_id)],
            "action": "save",
        },
    )
    token = token_of(client.get(CONFIRM))
    other = operator.bindings.get(unit=personas.other_unit)
    client.post(reverse("accounts:unit-switch"), {"binding": str(other.public_id)})
    response = client.post(SAVE, {"token": token}, follow=True)
    assert STALE in response.content.decode()
    assert unit_certified() == set()


# ------------------------------------------------------------ ticks the page showed


def test_list_form_cannot_be_restored_by_position(bob, office):
    """autocomplete=off, and each box's value is the row's public id."""
    response = bob.get(LIST)
    text = response.content.decode()
    form = re.search(r'<form [^>]*id="save-form"[^>]*>', text)[0]
    assert 'autocomplete="off"' in form
    boxes = re.findall(r'<input type="checkbox" name="selected"[^>]*>', text)
    rows = response.context["pager"].page.object_list
    assert len(boxes) == len(rows) == 10
    for box, row in zip(boxes, rows, strict=True):
        assert f'value="{row.public_id}"' in box
        assert 'autocomplete="off"' in box
        assert "checked" not in box


def test_ticks_for_rows_the_page_did_not_show_are_refused(bob, office):
    page_one = page_rows(bob)
    page_two = page_rows(bob, page=2)
    response = bob.post(
        SELECT,
        {
            "shown": shown_for(office, page_one),
            "selected": [str(page_one[0]), str(page_two[0])],
            "action": "save",
        },
        follow=True,
    )
    assert "勾选的人员与页面显示的名单不符" in response.content.decode()
    assert response.context["selected_count"] == 0
    assert bob.get(CONFIRM).context["confirmation"] is None
    assert unit_certified() == set()


@pytest.mark.parametrize("shown", ["", "forged", "eyJiIjoieCJ9:bad:sig"])
def test_a_forged_shown_list_is_refused(bob, office, shown):
    response = bob.post(
        SELECT,
        {"shown": shown, "selected": [str(office.pending[0].public_id)]},
        follow=True,
    )
    assert response.context["selected_count"] == 0


def test_an_old_page_can_only_tick_the_people_it_showed(bob, office):
    """The stale list (Back) still names its own rows: row 2 is still that person."""
    old_page = page_rows(bob)
    confirm = select(
        bob, office, [old_page[1]], shown=old_page, action="save", follow=True
    )
    bob.post(SAVE, {"token": token_of(confirm)})
    assert page_rows(bob)[1] != old_page[1]  # the fresh list moved up
    # The old page's form, resubmitted with "row 2" ticked, names old_page[1]:
    confirm = select(
        bob, office, [old_page[1]], shown=old_page, action="save", follow=True
    )
    assert confirm.context["confirmation"] is None
    assert "本月已认证" in confirm.content.decode()
    assert len(unit_certified()) == 1


# ------------------------------------------------------------ selection across pages


def test_selection_survives_paging_and_unticking(bob, office):
    one, two = page_rows(bob), page_rows(bob, page=2)
    response = select(bob, office, one[:2], shown=one, goto=2)
    assert response.url == f"{LIST}?page=2"
    page = bob.get(response.url)
    assert page.context["selected_count"] == 2
    assert '已选 <strong id="selected-count">2</strong> 人' in page.content.decode()
    select(bob, office, [two[3]], shown=two, goto=1)
    page = bob.get(LIST)
    ticked = [row.public_id for row, checked in page.context["rows"] if checked]
    assert ticked == one[:2]
    # Unticking one[0] on page 1 takes it out; page 2's tick stays.
    select(bob, office, [one[1]], shown=one, action="save")
    review = bob.get(CONFIRM).context["review"]
    assert {row.public_id for row in review.rows} == {one[1], two[3]}


def test_clear_empties_the_selection(bob, office):
    one = page_rows(bob)
    select(bob, office, one[:3], shown=one)
    response = select(bob, office, [], shown=one, action="clear", follow=True)
    assert response.context["selected_count"] == 0
    assert "已清空所选人员" in response.content.decode()


def test_selection_is_kept_per_unit_number(bob, office):
    one = page_rows(bob)
    select(bob, office, one[:3], shown=one)
    assert bob.get(LIST).context["selected_count"] == 3
    assert bob.session["employer_selection"].keys() == {
        str(office.personas.unit_user.bindings.get().public_id)
    }


def test_selection_is_capped(bob, office, monkeypatch):
    monkeypatch.setattr(services, "MAX_SELECTED", 3)
    one = page_rows(bob)
    response = select(bob, office, one[:5], shown=one, follow=True)
    assert response.context["selected_count"] == 3
    assert "一次最多选择 3 人" in response.content.decode()


# ------------------------------------------------------------ 选择全部 beyond the list


@pytest.fixture
def small_limit(monkeypatch):
    """Confirmations list at most 5 people, so 25 is "more than a page lists"."""
    monkeypatch.setattr(services, "MAX_SELECTED", 5)
    monkeypatch.setattr(views, "CONFIRM_PREVIEW", 3)


def test_select_all_beyond_the_limit_shows_count_and_first_names(
    bob, office, small_limit
):
    confirm = select(bob, office, [], action="save", scope="all", follow=True)
    review = confirm.context["review"]
    assert review.total == 25
    assert not review.complete
    assert len(review.rows) == 3
    text = confirm.content.decode()
    assert "确认认证（25 人）" in text
    assert "下表只列出前 3 人" in text
    bob.post(SAVE, {"token": token_of(confirm)})
    assert len(unit_certified()) == 25


@pytest.mark.parametrize("change", ["certified elsewhere", "new pensioner", "resumed"])
def test_select_all_saves_nothing_if_the_set_changed_after_confirming(
    bob, office, small_limit, change
):
    confirm = select(bob, office, [], action="save", scope="all", follow=True)
    personas = office.personas
    if change == "certified elsewhere":
        testing.make_certification(office.pending[3], certified_at=timezone.now())
    elif change == "new pensioner":
        testing.make_entitlement(unit=personas.unit, region=personas.region)
    else:
        office.suspended.status = "normal"
        office.suspended.save(update_fields=["status"])
    response = bob.post(SAVE, {"token": token_of(confirm)}, follow=True)
    assert "未保存任何记录，请重新确认名单" in response.content.decode()
    assert unit_certified() == set()
    assert not AuditEvent.objects.filter(action="certification.unit").exists()


def test_service_refuses_a_search_without_a_confirmed_set(office):
    from .conftest import accept

    personas = office.personas
    accept(personas.unit_user, personas.unit)
    binding = personas.unit_user.bindings.get()
    with pytest.raises(services.EmployerError):
        services.certify_pensioners(
            acting_user=personas.unit_user, binding=binding, search=access.Search()
        )
    assert unit_certified() == set()


# ------------------------------------------------------------ the list says why


@pytest.mark.parametrize(
    ("who", "reason"),
    [
        ("suspended", "请本人到窗口或申请上门认证"),
        ("terminated", "该人员待遇已终止"),
        ("foreign", "不属于本单位"),
        ("certified_this_month", "本月已认证"),
    ],
)
def test_an_empty_search_by_id_number_says_why(bob, office, who, reason):
    ssn = getattr(office, who).person.ssn
    response = bob.post(LIST, {"ssn": ssn}, follow=True)
    assert response.context["pager"].total == 0
    assert reason in response.content.decode()


def test_an_unknown_number_reads_like_another_units(bob, office):
    """No oracle: the unit cannot tell "insured elsewhere" from "unknown"."""
    unknown = bob.post(LIST, {"ssn": testing.make_ssn(born="19400101")}, follow=True)
    foreign = bob.post(LIST, {"ssn": office.foreign.person.ssn}, follow=True)
    assert unknown.context["reason"] == foreign.context["reason"]
    assert "不属于本单位" in unknown.context["reason"]


@pytest.mark.parametrize(
    "typed", ["4306**********203X", "4306031992", "43060319920301203X1"]
)
def test_a_masked_or_partial_number_asks_for_the_whole_number(bob, office, typed):
    response = bob.post(LIST, {"ssn": typed}, follow=True)
    assert response.context["pager"].total == 0  # not the whole list either
    assert "请输入完整的18位社会保障号码" in response.content.decode()


def test_a_name_that_does_not_go_with_the_number_says_so(bob, office):
    response = bob.post(
        LIST, {"ssn": office.personas.entitlement.person.ssn, "name": "张"}, follow=True
    )
    assert "姓名与身份证号不符" in response.content.decode()


def test_the_reason_costs_no_extra_statement(bob, office, django_assert_num_queries):
    bob.get(LIST)  # the commitment is remembered in the session from here on
    searched = bob.post(LIST, {"ssn": office.suspended.person.ssn}).url
    with django_assert_num_queries(4):  # as the search itself (test_certify)
        response = bob.get(searched)
    assert "请本人到窗口或申请上门认证" in response.content.decode()


# ------------------------------------------------------------ the export's gate


def test_the_list_export_needs_the_commitment(client, office):
    client.force_login(office.personas.unit_user)
    response = client.get(reverse("employer:certify-export"))
    assert response.status_code == 302
    assert response.url == reverse("employer:commitment")
    assert not AuditEvent.objects.filter(action="export.unit_list").exists()


def test_a_head_of_the_confirmation_leaves_the_open_one_valid(bob, office):
    """Pages answer HEAD now: a prefetch's HEAD of 确认认证名单 must not issue
    a newer confirmation, which would make the page in the browser stale."""
    first = office.pending[0]
    confirm = select(bob, office, [first], action="save", follow=True)
    assert bob.head(CONFIRM).status_code == 200
    bob.post(SAVE, {"token": token_of(confirm)})
    assert unit_certified() == {first.pk}


def test_the_confirmation_sent_twice_certifies_once_and_says_submitted(bob, office):
    """A double click on 确认认证 (or Back and send) showed the stale-page
    error; it lands on the first one's list with 已提交过."""
    first = office.pending[0]
    confirm = select(bob, office, [first], action="save", follow=True)
    fields = {"token": token_of(confirm), "once": once_value(confirm)}
    done = bob.post(SAVE, fields)
    again = bob.post(SAVE, fields, follow=True)
    assert again.redirect_chain[0] == (done["Location"], 302)
    page = again.content.decode()
    assert "已提交过，请勿重复提交" in page
    assert views.CERTIFIED_ONCE in page
    assert STALE not in page
    assert unit_certified() == {first.pk}
    assert AuditEvent.objects.filter(action="certification.unit").count() == 1
