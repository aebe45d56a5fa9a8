import pytest
from django.urls import reverse

from lifecert.demo import testing
from lifecert.pensioner.access import SESSION_PERSON

pytestmark = pytest.mark.django_db

LOGIN = reverse("pensioner:cert-login")
CENTRE = reverse("pensioner:centre")


def test_login_page_shows_the_guides_fields_and_help(client):
    response = client.get(LOGIN)
    html = response.content.decode()
    assert "请输入您登记的姓名" in html
    assert "请输入您登记的社会保障号码" in html
    assert "如姓名登记为英文按英文录入" in html
    assert "港澳台居民" in html
    assert "粤人社发[2014]234号" in html


def test_registered_name_and_number_open_the_centre_without_an_account(
    client, personas
):
    response = client.post(LOGIN, {"name": "杨书维", "ssn": "43060319920301203x"})
    assert response.status_code == 302
    assert response["Location"] == CENTRE
    assert client.session[SESSION_PERSON] == str(personas.pensioner.public_id)
    page = client.get(CENTRE).content.decode()
    assert "欢迎回来, 杨书维。" in page


def test_wrong_name_is_refused_without_saying_which_field(client, personas):
    response = client.post(LOGIN, {"name": "杨书", "ssn": "43060319920301203X"})
    assert response.status_code == 200
    assert "与社保机构登记的信息不一致" in response.content.decode()
    assert SESSION_PERSON not in client.session


def test_unknown_number_is_refused_the_same_way(client, personas):
    ssn = testing.make_ssn()
    response = client.post(LOGIN, {"name": "杨书维", "ssn": ssn})
    assert "与社保机构登记的信息不一致" in response.content.decode()


def test_invalid_number_gets_the_checksum_reason(client, personas):
    response = client.post(LOGIN, {"name": "杨书维", "ssn": "430603199203012031"})
    assert "校验位" in response.content.decode()


def test_logged_in_personal_account_goes_straight_in(client, personas):
    client.force_login(personas.pensioner_user)
    assert client.get(LOGIN)["Location"] == CENTRE


def test_centre_sends_strangers_to_the_certification_login(client):
    response = client.get(CENTRE)
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)


def test_next_must_stay_on_this_site(client, personas):
    response = client.post(
        LOGIN + "?next=https://evil.example/",
        {
            "name": "杨书维",
            "ssn": "43060319920301203X",
            "next": "https://evil.example/",
        },
    )
    assert response["Location"] == CENTRE


def test_cert_logout_forgets_the_person(client, personas):
    client.post(LOGIN, {"name": "杨书维", "ssn": "43060319920301203X"})
    client.post(reverse("pensioner:cert-logout"))
    assert client.get(CENTRE).status_code == 302


def test_login_page_refuses_other_methods(client):
    assert client.put(LOGIN).status_code == 405


def test_many_wrong_pairs_from_one_address_lock_the_login(client, personas):
    for _ in range(10):
        client.post(LOGIN, {"name": "某某", "ssn": "43060319920301203X"})
    response = client.post(LOGIN, {"name": "杨书维", "ssn": "43060319920301203X"})
    assert "输入错误次数过多" in response.content.decode()
    assert SESSION_PERSON not in client.session


def test_one_clients_typos_do_not_lock_another_address(personas):
    from django.test import Client

    typist = Client(REMOTE_ADDR="203.0.113.7")
    for n in range(10):
        typist.post(LOGIN, {"name": f"某{n}", "ssn": "44010619550515001X"})
    helper = Client(REMOTE_ADDR="198.51.100.3")
    helper.post(LOGIN, {"name": "杨书维", "ssn": "43060319920301203X"})
    assert helper.session[SESSION_PERSON]


def test_every_address_of_one_ipv6_network_counts_as_one_caller(personas):
    """A subscriber may use any address of its /64: stepping through them is
    no way round the per-address count. Another network is another caller."""
    from django.test import Client

    for n in range(10):
        Client(REMOTE_ADDR=f"2001:db8:5:9::{n + 1:x}").post(
            LOGIN, {"name": f"某{n}", "ssn": "43060319920301203X"}
        )
    late = Client(REMOTE_ADDR="2001:db8:5:9:ffff::1")
    response = late.post(LOGIN, {"name": "杨书维", "ssn": "43060319920301203X"})
    assert "输入错误次数过多" in response.content.decode()
    neighbour = Client(REMOTE_ADDR="2001:db8:5:a::1")
    neighbour.post(LOGIN, {"name": "杨书维", "ssn": "43060319920301203X"})
    assert neighbour.session[SESSION_PERSON]


def test_wrong_pairs_for_one_number_are_limited_across_addresses(personas, settings):
    from django.test import Client

    settings.CERT_LOGIN_MAX_PER_NUMBER = 4
    for n in range(4):
        Client(REMOTE_ADDR=f"203.0.113.{n + 1}").post(
            LOGIN, {"name": f"猜{n}", "ssn": "43060319920301203X"}
        )
    late = Client(REMOTE_ADDR="203.0.113.99")
    response = late.post(LOGIN, {"name": "杨书维", "ssn": "43060319920301203X"})
    assert "输入错误次数过多" in response.content.decode()


def test_the_count_is_in_the_shared_database_cache(client, personas, settings):
    """Another worker (a new cache object on the same table) or a restart sees
    the count: nothing lives in one process's memory."""
    from django.core.cache.backends.db import DatabaseCache

    from lifecert.core import throttle

    assert settings.CACHES["default"]["BACKEND"].endswith("DatabaseCache")
    for _ in range(10):
        client.post(LOGIN, {"name": "某某", "ssn": "43060319920301203X"})
    other_worker = DatabaseCache(settings.CACHES["default"]["LOCATION"], {})
    slots = throttle._slots(("cert-login", "addr", "127.0.0.1"), 10)
    assert len(other_worker.get_many(slots)) == 10
