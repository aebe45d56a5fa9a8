import contextlib
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.template import engines
from django.test import RequestFactory
from django.urls import NoReverseMatch

from lifecert.core.masking import mask_id, mask_name, mask_phone

ROOT = Path(__file__).resolve().parents[3]


@pytest.mark.django_db
def test_no_pending_migrations():
    out = StringIO()
    try:
        call_command("makemigrations", "--check", "--dry-run", stdout=out, stderr=out)
    except SystemExit as exc:  # pragma: no cover - only when a migration is missing
        pytest.fail(f"missing migrations:\n{out.getvalue()} ({exc})")


@pytest.mark.django_db
def test_every_template_renders_with_an_empty_context():
    from django.contrib.auth.models import AnonymousUser

    request = RequestFactory().get("/")
    request.user = AnonymousUser()
    request.session = {}
    engine = engines["django"]
    count = 0
    for path in sorted((ROOT / "templates").rglob("*.html")):
        name = path.relative_to(ROOT / "templates").as_posix()
        template = engine.get_template(name)  # syntax errors and unknown tags fail here
        # A link to an object needs the object; every other error fails the test.
        with contextlib.suppress(NoReverseMatch):
            template.render({}, request)
        count += 1
    assert count > 10


def test_faceverify_does_not_import_django():
    engine = "faceverify"
    code = f"import sys, {engine}; assert 'django' not in sys.modules, 'django loaded'"
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr


def test_masking():
    assert mask_id("43060319920301203X") == "4306**********203X"
    assert mask_name("杨书维") == "杨*维"
    assert mask_name("王五") == "王*"
    assert mask_phone("13800138000") == "138****8000"


@pytest.mark.django_db
def test_seed_demo_refuses_to_run_with_debug_off_unless_forced(settings):
    from django.core.management.base import CommandError

    from lifecert.accounts.models import User

    settings.DEBUG = False
    with pytest.raises(CommandError, match="--force-production"):
        call_command("seed_demo", "--persons", "5", stdout=StringIO())
    assert not User.objects.filter(username="province").exists()
    call_command("seed_demo", "--persons", "5", "--force-production", stdout=StringIO())
    assert User.objects.filter(username="province").exists()


@pytest.mark.django_db
def test_seed_demo_builds_the_documented_accounts(settings):
    settings.DEBUG = True  # the development server (scripts/serve.sh)
    from lifecert.accounts.models import User
    from lifecert.registry.models import Entitlement, Person, Unit

    call_command("seed_demo", "--persons", "400", stdout=StringIO())
    assert Person.objects.count() == 400
    big = Unit.objects.get(number="4401000001")
    assert Entitlement.objects.filter(unit=big).count() == 263
    yang = Person.objects.get(ssn="43060319920301203X")
    assert yang.entitlements.count() == 2  # insured in two cities
    assert Person.objects.filter(entitlements__region__code="440300").exists()
    assert yang.certifications.count() == 10
    for username in ("staff", "province", "demo_unit", yang.ssn):
        assert User.objects.filter(username=username).exists()
    assert User.objects.get(username="demo_unit").bindings.count() == 2
    from lifecert.notices.models import Notice

    # One published notice of each category on the home page.
    assert sorted(Notice.objects.visible().values_list("category", flat=True)) == [
        "announcement",
        "news",
        "policy",
    ]
    from lifecert.registry.ids import is_valid_ssn

    assert all(
        is_valid_ssn(s) for s in Person.objects.values_list("ssn", flat=True)[:200]
    )
    out = StringIO()
    call_command("seed_demo", "--persons", "10", "--if-empty", stdout=out)
    assert "跳过" in out.getvalue()


@pytest.mark.django_db
def test_record_many_writes_one_row_per_target_with_the_public_id(personas):
    from lifecert.core.audit import record, record_many
    from lifecert.core.models import AuditEvent
    from lifecert.demo.testing import make_entitlement
    from lifecert.registry.models import Entitlement

    other = make_entitlement()
    written = record_many(
        "entitlement.suspend",
        acting_user=personas.staff,
        model=Entitlement,
        pks=[personas.entitlement.pk, other.pk],
        ip="127.0.0.1",
        after={"why": "测试"},
    )
    assert written == 2
    rows = AuditEvent.objects.filter(action="entitlement.suspend").order_by("target_id")
    assert {r.target_id for r in rows} == {
        str(personas.entitlement.public_id),
        str(other.public_id),
    }
    assert all(r.actor == personas.staff and r.after == {"why": "测试"} for r in rows)
    single = record("entitlement.status", acting_user=personas.staff, target=other)
    assert single.target_id == str(other.public_id)


@pytest.mark.django_db(transaction=True)
def test_bulk_seed_rebuilds_every_index_and_foreign_key(settings):
    settings.DEBUG = True
    from django.db import connection

    from lifecert.certification.models import Certification
    from lifecert.registry.models import Entitlement, Person

    def schema() -> dict[str, set[str]]:
        with connection.cursor() as cursor:
            return {
                model._meta.db_table: {
                    name
                    for name, info in connection.introspection.get_constraints(
                        cursor, model._meta.db_table
                    ).items()
                    if info["index"] or info["foreign_key"]
                }
                for model in (Person, Entitlement, Certification)
            }

    before = schema()
    call_command(
        "seed_demo",
        "--persons",
        "300",
        "--rebuild-indexes-from",
        "1",
        stdout=StringIO(),
    )
    assert schema() == before
    assert (
        Certification.objects.count()
        == 300 * 5 + Entitlement.objects.count() * 5 - 1500
    )
