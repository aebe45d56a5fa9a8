"""Odd input sent by hand to the running server (the walk at phone width):
each value that once answered 500 is a test here."""

import pytest
from django.urls import reverse

from lifecert.demo import testing

pytestmark = pytest.mark.django_db

# ``next`` values that are not a path: redirect() used to take them for the
# name of a view and answer 500 (NoReverseMatch).
NOT_A_PATH = ["-1", "abc", "４３０６", "  /backoffice/", "backoffice:index", "😀"]


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
