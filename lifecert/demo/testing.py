"""Test data factories: plain functions with keyword defaults."""

import datetime
import itertools
from decimal import Decimal
from typing import Any

from django.utils import timezone

from lifecert.accounts.models import UnitBinding, User
from lifecert.certification.models import Certification, Channel
from lifecert.demo.loader import OFFICES
from lifecert.registry.ids import with_check_character
from lifecert.registry.models import Entitlement, Person, Region, Unit

_seq = itertools.count(1)
REGION_NAMES = {"440100": "广州市", "440300": "深圳市", "440600": "佛山市"}
TEST_PASSWORD = "Lifecert-test-2026"  # noqa: S105


def make_ssn(*, region: str = "440106", born: str = "19550515") -> str:
    n = next(_seq)
    return with_check_character(f"{region}{born}{n % 1000:03d}")


def make_region(code: str = "440100", name: str | None = None) -> Region:
    office, address, phone = OFFICES.get(code, ("", "", ""))
    region, _ = Region.objects.get_or_create(
        code=code,
        defaults={
            "name": name or REGION_NAMES.get(code, f"地区{code}"),
            "office_name": office,
            "office_address": address,
            "office_phone": phone,
        },
    )
    return region


def make_person(**overrides: Any) -> Person:
    values: dict[str, Any] = {"name": f"测试{next(_seq)}", "phone": "13800138000"}
    values.update(overrides)
    if "ssn" not in values:
        values["ssn"] = make_ssn()
    return Person.objects.create(**values)


def make_unit(**overrides: Any) -> Unit:
    values: dict[str, Any] = {
        "number": f"U{next(_seq):07d}",
        "name": f"测试单位{next(_seq)}",
    }
    values.update(overrides)
    if "region" not in values:
        values["region"] = make_region()
    return Unit.objects.create(**values)


def make_entitlement(**overrides: Any) -> Entitlement:
    values: dict[str, Any] = {
        "monthly_amount": Decimal("3200.00"),
        "start_date": datetime.date(2015, 1, 1),
        "status": Entitlement.Status.NORMAL,
    }
    values.update(overrides)
    if "person" not in values:
        values["person"] = make_person()
    if "region" not in values:
        values["region"] = (
            values["unit"].region if values.get("unit") else make_region()
        )
    return Entitlement.objects.create(**values)


def make_certification(entitlement: Entitlement, **overrides: Any) -> Certification:
    values: dict[str, Any] = {
        "person_id": entitlement.person_id,
        "region_id": entitlement.region_id,
        "entitlement": entitlement,
        "certified_at": timezone.now(),
        "channel": Channel.COUNTER,
    }
    values.update(overrides)
    cert = Certification.objects.create(**values)
    if (
        entitlement.last_certified_at is None
        or cert.certified_at > entitlement.last_certified_at
    ):
        entitlement.last_certified_at = cert.certified_at
        entitlement.save(update_fields=["last_certified_at"])
    return cert


def make_user(kind: str, **overrides: Any) -> User:
    values: dict[str, Any] = {"username": f"user{next(_seq)}", "kind": kind}
    values.update(overrides)
    password = values.pop("password", TEST_PASSWORD)
    return User.objects.create_user(password=password, **values)


def make_personal_user(person: Person | None = None, **overrides: Any) -> User:
    person = person or make_person()
    return make_user(
        User.Kind.PERSONAL,
        username=person.ssn,
        person=person,
        display_name=person.name,
        **overrides,
    )


def make_unit_user(*units: Unit, **overrides: Any) -> User:
    user = make_user(User.Kind.UNIT, **overrides)
    for unit in units:
        UnitBinding.objects.create(
            account=user,
            unit=unit,
            operator_name="王经办",
            operator_phone="13900139000",
            operator_id_number=make_ssn(born="19800101"),
            via=UnitBinding.Via.CODE,
        )
    return user


def make_staff_user(region: Region | None = None, **overrides: Any) -> User:
    return make_user(User.Kind.STAFF, staff_region=region, is_staff=True, **overrides)


def xlsx_upload(
    header: list[str], rows: list[list[Any]], name: str = "upload.xlsx"
) -> Any:
    """An in-memory .xlsx file, ready to post as an upload."""
    import io

    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    buffer.seek(0)
    buffer.name = name
    return buffer


def once_value(page: Any) -> str:
    """The ``once`` value a form page carries (``lifecert.core.once``)."""
    import re

    found = re.search(r'name="once" value="([^"]+)"', page.content.decode())
    if found is None:
        raise LookupError("the page has no once field")
    return found.group(1)
