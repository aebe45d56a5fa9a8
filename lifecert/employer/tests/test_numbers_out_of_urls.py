"""A full ID number never goes into a URL (access logs, proxies, history).

Each search by number is POSTed with CSRF and kept in the session under a
random key (``?search=…``); the pages, their pagers, exports and redirects
carry no number.
"""

import re

import pytest
from django.test import Client
from django.urls import reverse

from .conftest import LIST, SELECT, shown_for

ROSTER = reverse("employer:roster")
QUERY = reverse("employer:query")


def _urls(response) -> list[str]:
    """Every URL a page links to or submits to, and every redirect taken."""
    html = response.content.decode()
    found = re.findall(r'(?:href|action|src)="([^"]*)"', html)
    return found + [url for url, _ in getattr(response, "redirect_chain", [])]


def _without(number: str, urls: list[str]) -> list[str]:
    return [url for url in urls if number in url.upper()]


@pytest.mark.parametrize("page", [LIST, ROSTER, QUERY])
def test_the_search_forms_post_with_csrf(bob, office, page):
    html = bob.get(page).content.decode()
    form = re.search(
        r'<form method="(\w+)"[^>]*id="(search-form|roster-filter|query-form)"', html
    )
    assert form is not None
    assert form[1] == "post"
    assert "csrfmiddlewaretoken" in html


def test_searches_need_the_csrf_token(office):
    client = Client(enforce_csrf_checks=True)
    client.force_login(office.personas.unit_user)
    ssn = office.personas.entitlement.person.ssn
    for page in (LIST, ROSTER, QUERY):
        assert client.post(page, {"ssn": ssn}).status_code == 403


def test_the_list_searched_by_number_keeps_it_out_of_every_url(bob, office):
    ssn = office.personas.entitlement.person.ssn
    response = bob.post(LIST, {"ssn": ssn.lower()}, follow=True)
    assert [e.pk for e in response.context["pager"].page.object_list] == [
        office.personas.entitlement.pk
    ]
    assert _without(ssn, _urls(response)) == []
    # A plain link to the list shows it unsearched.
    assert bob.get(LIST).context["search"].ssn == ""
    # Paging and saving the selection come back to a list URL without it.
    by_name = bob.post(LIST, {"name": "张"}, follow=True)
    assert by_name.context["pager"].page.has_next()
    assert _without(ssn, _urls(by_name)) == []
    response = bob.post(
        SELECT,
        {"shown": shown_for(office, []), "ssn": ssn, "action": "keep"},
        follow=True,
    )
    assert _without(ssn, _urls(response)) == []
    assert response.context["search"].ssn == ssn  # still searched, from the session
    # The export link names the same search.
    export = next(url for url in _urls(response) if "/export/" in url)
    assert "search=" in export


def test_a_number_in_the_query_string_is_not_used(bob, office):
    """An old bookmark with ?ssn= does not search (nor teach anyone to use it)."""
    ssn = office.personas.entitlement.person.ssn
    response = bob.get(LIST, {"ssn": ssn})
    assert response.context["search"].ssn == ""


def test_the_roster_and_its_export_link_carry_no_number(bob, office):
    ssn = office.suspended.person.ssn
    response = bob.post(ROSTER, {"ssn": ssn, "sort": "due"}, follow=True)
    assert [e.pk for e in response.context["pager"].page.object_list] == [
        office.suspended.pk
    ]
    urls = _urls(response)
    assert _without(ssn, urls) == []
    export = next(url for url in urls if "/roster/export" in url)
    assert "sort=due" in export


def test_the_query_by_number_keeps_it_out_of_every_url(bob, office):
    ssn = office.personas.entitlement.person.ssn
    response = bob.post(QUERY, {"ssn": ssn}, follow=True)
    assert response.context["entitlement"] == office.personas.entitlement
    [(url, status)] = response.redirect_chain
    assert status == 302
    assert url.startswith(f"{QUERY}?search=")
    assert bob.get(QUERY).context["entitlement"] is None  # the plain page: no search
    assert _without(ssn, _urls(response)) == []


def test_staff_search_by_number_keeps_it_out_of_every_url(client, personas):
    client.force_login(personas.staff)
    url = reverse("backoffice:person-list")
    ssn = personas.pensioner.ssn
    response = client.post(url, {"q": ssn}, follow=True)
    [(searched, _)] = response.redirect_chain
    assert searched.startswith(f"{url}?search=")
    assert [p.pk for p in response.context["pager"].page.object_list] == [
        personas.pensioner.pk
    ]
    assert _without(ssn, _urls(response)) == []
    html = client.get(url).content.decode()
    assert '<form method="post"' in html


def test_the_admin_does_not_search_by_number():
    """Its search is a GET (?q=): it searches names; numbers go through the
    back office's POSTed search."""
    from django.contrib import admin

    for model_admin in admin.site._registry.values():
        assert not [f for f in model_admin.search_fields if "ssn" in f], model_admin
