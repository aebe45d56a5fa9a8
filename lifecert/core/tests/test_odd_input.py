"""Odd input sent by hand to the running server (the walk at phone width):
each value that once answered 500 is a test here."""

import re
import uuid

import pytest
from django.urls import reverse

from lifecert.demo import testing

pytestmark = pytest.mark.django_db

# ``next`` values that are not a path on this site: redirect() used to take
# the first ones for the name of a view and answer 500 (NoReverseMatch); the
# last ones leave the site.
NOT_A_PATH = [
    "-1",
    "abc",
    "４３０６",
    "  /backoffice/",
    "backoffice:index",
    "😀",
    "//evil.example/",
    "/\\\\evil.example/",
    "https://evil.example/",
]


@pytest.mark.parametrize("target", NOT_A_PATH)
def test_a_login_with_a_next_that_is_not_a_path_goes_home(client, personas, target):
    response = client.post(
        reverse("accounts:staff-login"),
        {
            "username": personas.staff.username,
            "password": testing.TEST_PASSWORD,
            "next": target,
        },
    )
    assert response.status_code == 302
    assert response.url == reverse("backoffice:index")


@pytest.mark.parametrize("target", NOT_A_PATH)
def test_the_certification_login_with_a_next_that_is_not_a_path_goes_to_the_centre(
    client, personas, target
):
    response = client.post(
        reverse("pensioner:cert-login"),
        {"name": "杨书维", "ssn": "43060319920301203X", "next": target},
    )
    assert response.status_code == 302
    assert response.url == reverse("pensioner:centre")


def test_a_next_on_this_site_is_still_followed(client, personas):
    response = client.post(
        reverse("accounts:staff-login"),
        {
            "username": personas.staff.username,
            "password": testing.TEST_PASSWORD,
            "next": reverse("backoffice:audit-list") + "?action=x",
        },
    )
    assert response.url == reverse("backoffice:audit-list") + "?action=x"


# ---------------------------------------------------------- session ended mid-form


def _login_next(client, response) -> str:
    """The ``next`` the login page puts in its form after ``response``."""
    page = client.get(response.url).content.decode()
    found = re.search(r'name="next" value="([^"]*)"', page)
    return found.group(1).replace("&amp;", "&")


def test_a_form_sent_after_the_session_ended_comes_back_to_its_page(client, personas):
    """The POST address (here 关闭审核) answers only POST: after the login the
    user comes back to the page the form was on, not to an empty 405."""
    listing = reverse("backoffice:review-queue") + "?page=2"
    response = client.post(
        reverse("backoffice:review-close", args=[uuid.uuid4()]),
        {"note": "核实"},
        HTTP_REFERER=f"http://testserver{listing}",
    )
    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:staff-login") + "?next=")
    target = _login_next(client, response)
    assert target == listing
    after = client.post(
        reverse("accounts:staff-login"),
        {
            "username": personas.staff.username,
            "password": testing.TEST_PASSWORD,
            "next": target,
        },
    )
    assert after.url == listing
    assert client.get(after.url).status_code == 200


def test_a_family_form_sent_after_the_session_ended_comes_back_to_the_family_page(
    client,
):
    family = reverse("pensioner:family")
    response = client.post(
        reverse("pensioner:family-cancel"), HTTP_REFERER=f"http://testserver{family}"
    )
    assert _login_next(client, response) == family


def test_a_form_sent_from_another_site_after_the_session_ended_goes_to_the_login(
    client,
):
    response = client.post(
        reverse("backoffice:review-close", args=[uuid.uuid4()]),
        HTTP_REFERER="https://evil.example/backoffice/",
    )
    assert response.url == reverse("accounts:staff-login")


def test_a_page_opened_after_the_session_ended_keeps_its_filters(client):
    listing = reverse("backoffice:certification-list") + "?channel=face&page=2"
    response = client.get(listing)
    assert _login_next(client, response) == listing


def test_the_certification_pages_keep_their_address_for_after_the_login(client):
    history = reverse("pensioner:history") + "?page=2"
    response = client.get(history)
    assert response.url.startswith(reverse("pensioner:cert-login") + "?next=")
    assert _login_next(client, response) == history


def test_the_certification_login_takes_a_number_typed_in_full_width(client, personas):
    response = client.post(
        reverse("pensioner:cert-login"),
        {"name": "杨书维", "ssn": "４３０６０３１９９２０３０１２０３ｘ"},
    )
    assert response.status_code == 302
    assert response.url == reverse("pensioner:centre")
