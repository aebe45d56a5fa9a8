"""seed_demo refuses nonsense and a second load, and keeps accounts it finds."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from lifecert.accounts.models import User
from lifecert.demo import testing

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def development(settings):
    settings.DEBUG = True  # the development server (scripts/serve.sh)


def test_no_persons_is_refused():
    with pytest.raises(CommandError, match="--persons"):
        call_command("seed_demo", "--persons", "0", stdout=StringIO())


def test_a_second_load_is_refused_and_the_accounts_found_are_kept():
    staff = testing.make_staff_user(None, username="staff")
    province = testing.make_staff_user(None, username="province")
    unit_account = testing.make_unit_user(username="demo_unit")
    call_command("seed_demo", "--persons", "5", stdout=StringIO())
    for user in (staff, province, unit_account):
        assert User.objects.get(username=user.username).password == user.password
    assert not unit_account.bindings.exists()  # its bindings are its own
    with pytest.raises(CommandError, match="演示数据已存在"):
        call_command("seed_demo", "--persons", "5", stdout=StringIO())
