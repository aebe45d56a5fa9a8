"""Every employer page: anonymous, wrong role, wrong method, outsider, bad UUID."""

import pytest
from django.urls import reverse

from lifecert.accounts.access import SESSION_BINDING
from lifecert.demo import testing

from .conftest import accept

GET_PAGES = [
    "employer:index",
    "employer:certify",
    "employer:guide",
    "employer:guide-form",
    "employer:commitment",
    "employer:certify-list",
    "employer:certify-confirm",
    "employer:certify-export",
    "employer:roster",
    "employer:roster-export",
    "employer:query",
    "employer:history-export",
]


POST_ONLY = ["employer:certify-select", "employer:certify-save"]


@pytest.mark.parametrize("name", [*GET_PAGES, *POST_ONLY])
def test_anonymous_goes_to_unit_login(client, db, name):
    url = reverse(name)
    response = client.get(url)
    assert response.status_code == 302
    assert response.url == f"{reverse('accounts:unit-login')}?next={url}"


@pytest.mark.parametrize("role", ["pensioner_user", "staff"])
@pytest.mark.parametrize("name", [*GET_PAGES, *POST_ONLY])
def test_other_account_kinds_get_403(client, personas, role, name):
    client.force_login(getattr(personas, role))
    assert client.get(reverse(name)).status_code == 403


@pytest.mark.parametrize("name", GET_PAGES)
def test_unit_user_reads_every_page(bob, name):
    assert bob.get(reverse(name)).status_code == 200


# The list, the roster and the query take their search by POST (no ID number in
# a URL): they are not read-only.
SEARCH_PAGES = {
    "employer:commitment",
    "employer:certify-list",
    "employer:roster",
    "employer:query",
}


@pytest.mark.parametrize("name", [n for n in GET_PAGES if n not in SEARCH_PAGES])
def test_post_to_read_only_pages_is_405(bob, name):
    assert bob.post(reverse(name)).status_code == 405


@pytest.mark.parametrize("name", POST_ONLY)
def test_get_on_posting_pages_is_405(bob, name):
    assert bob.get(reverse(name)).status_code == 405


@pytest.mark.parametrize(
    "name", ["employer:index", "employer:certify-list", "employer:roster"]
)
def test_unit_pages_link_to_the_binding_change(bob, office, name):
    """修改绑定信息 is reachable from the unit pages, not only after login."""
    binding = office.personas.unit_user.bindings.get()
    edit = reverse("accounts:unit-binding-edit", args=[binding.public_id])
    text = bob.get(reverse(name)).content.decode()
    assert f'href="{edit}">修改绑定信息</a>' in text


def test_unit_home_offers_adding_bindings_both_ways(bob):
    text = bob.get(reverse("employer:index")).content.decode()
    assert f'href="{reverse("accounts:unit-bind-code")}">使用授权码添加绑定' in text
    assert f'href="{reverse("accounts:unit-bind-old")}">使用旧账号添加绑定' in text


def test_unit_account_without_binding_goes_to_binding(client, db):
    client.force_login(testing.make_unit_user())
    response = client.get(reverse("employer:certify-list"))
    assert response.url == reverse("accounts:unit-home")


def test_person_query_of_another_unit_is_404(bob, office):
    url = reverse("employer:query-person", args=[office.foreign.public_id])
    assert bob.get(url).status_code == 404


def test_person_query_with_bad_uuid_is_404(bob):
    assert bob.get("/unit/query/not-a-uuid/").status_code == 404
    assert (
        bob.get("/unit/query/00000000-0000-0000-0000-000000000000/").status_code == 404
    )


def test_outsider_sees_none_of_our_pensioners(client, office):
    dave = office.personas.outsider_unit_user
    accept(dave, office.personas.other_unit)
    client.force_login(dave)
    listing = client.get(reverse("employer:certify-list")).content.decode()
    assert office.personas.pensioner.name not in listing
    assert "总共 1 条记录" in listing
    url = reverse("employer:query-person", args=[office.personas.entitlement.public_id])
    assert client.get(url).status_code == 404
    query = client.post(
        reverse("employer:query"), {"ssn": "43060319920301203X"}, follow=True
    )
    assert "本单位没有该身份证号的退休人员" in query.content.decode()


def test_switching_unit_changes_every_page(client, office):
    personas = office.personas
    operator = testing.make_unit_user(personas.unit, personas.other_unit)
    accept(operator, personas.unit)
    accept(operator, personas.other_unit)
    client.force_login(operator)
    assert client.get(reverse("employer:certify-list")).context["pager"].total == 25
    other = operator.bindings.get(unit=personas.other_unit)
    response = client.post(
        reverse("accounts:unit-switch"),
        {"binding": str(other.public_id), "next": reverse("employer:certify-list")},
    )
    assert client.session[SESSION_BINDING] == str(other.public_id)
    listing = client.get(response.url)
    assert listing.context["pager"].total == 1
    assert personas.other_unit.number in listing.content.decode()
    roster = client.get(reverse("employer:roster"))
    assert roster.context["pager"].total == 1
