"""The cast and the objects of the access-control matrix (test_access_matrix).

Two regions (广州 GZ, 深圳 SZ), a unit in each (X in GZ, Y in SZ), and nine
roles: anonymous, pensioners A (GZ, unit X) and B (SZ, unit Y), a family
helper (a personal account that certifies for A), the operators of X and Y,
staff of GZ and of SZ, and province staff (no region, superuser, as the demo's
``province``). Every object a URL names belongs to A, unit X or GZ, so the
matrix can say that B, Y and SZ do not reach it.

The world is built once per module inside a transaction that is rolled back
at the end (``world`` fixture); each test runs in a savepoint of its own.
"""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from lifecert.accounts.models import FamilyLink
from lifecert.accounts.services import issue_authorization_code
from lifecert.api.services import issue_token
from lifecert.certification.models import (
    BackPay,
    Channel,
    DeathAfterCertificationCase,
    FaceSession,
    Overpayment,
    ReviewRequest,
    SuspensionRun,
)
from lifecert.core import audit, vault
from lifecert.core.audit_actions import AuditAction
from lifecert.demo import testing
from lifecert.employer.models import Commitment
from lifecert.notices.services import NoticeFields, publish_notice
from lifecert.pensioner.access import SESSION_PERSON
from lifecert.pensioner.tests.helpers import enrol_ready
from lifecert.registry.models import Entitlement

ROLES = (
    "anonymous",
    "pensioner_a",
    "pensioner_b",
    "helper",
    "unit_x",
    "unit_y",
    "staff_gz",
    "staff_sz",
    "province",
)
PERSONAL = ("pensioner_a", "pensioner_b", "helper")
UNIT = ("unit_x", "unit_y")
STAFF = ("staff_gz", "staff_sz", "province")
PASSWORD = testing.TEST_PASSWORD
RECEIPT_CODE = "ABCD2345EFGH6789"  # printed on A's receipt


@dataclass
class World:
    """Row ids and public ids only: tests read the rows afresh (savepoints)."""

    users: dict[str, int]
    usernames: dict[str, str]
    a: Any  # Person A (GZ, unit X), enrolled, certified last month or earlier
    b: Any  # Person B (SZ, unit Y)
    h: Any  # the helper's own person (SZ, unit Y)
    c: Any  # overdue in GZ (unit X): what a suspension run would stop
    d: Any  # died in GZ (unit X): an overpayment and a death case
    r: Any  # registered in GZ, no account yet (personal registration)
    z: Any  # unit Z (GZ), bound to the old account ``old_z``, with a fresh code
    a_entitlement: Any
    c_entitlement: Any
    binding_x: Any
    binding_y: Any
    unit_x: Any
    unit_y: Any
    gz: Any
    sz: Any
    certification_a: Any
    face_session_a: Any  # finished (failed): its result page
    review_a: Any
    overpayment_d: Any
    death_case_d: Any
    run_gz: Any
    code_z: str  # the plain authorization code of unit Z
    notice_gz: Any  # a published GZ notice with an attachment (门户公告)
    token_gz: Any  # a system token of GZ (接口令牌)
    # Each role's logged-in session, made once (each test rolls its changes
    # back), and a CSRF token as a browser gets it from a page with a form.
    sessions: dict[str, str] = field(default_factory=dict)
    csrf: str = ""


def build() -> World:
    gz = testing.make_region("440100")
    sz = testing.make_region("440300")
    unit_x = testing.make_unit(region=gz, number="4401009001", name="广州市甲公司")
    unit_y = testing.make_unit(region=sz, number="4403009001", name="深圳市乙公司")
    unit_z = testing.make_unit(region=gz, number="4401009002", name="广州市丙公司")
    last_year = timezone.now() - datetime.timedelta(days=300)

    def pensioner(name: str, region: Any, unit: Any, **extra: Any) -> Any:
        person = testing.make_person(name=name, **extra)
        entitlement = testing.make_entitlement(person=person, region=region, unit=unit)
        return person, entitlement

    a, a_entitlement = pensioner("甲老人", gz, unit_x, ssn="43060319920301203X")
    b, b_entitlement = pensioner("乙老人", sz, unit_y)
    h, h_entitlement = pensioner("丙家属", sz, unit_y)
    c, c_entitlement = pensioner("丁逾期", gz, unit_x)
    d, d_entitlement = pensioner("戊故去", gz, unit_x)
    r, r_entitlement = pensioner("己未注册", gz, unit_x)
    certification_a = testing.make_certification(
        a_entitlement, certified_at=last_year, receipt_code=RECEIPT_CODE
    )
    for entitlement in (b_entitlement, h_entitlement, d_entitlement, r_entitlement):
        testing.make_certification(entitlement, certified_at=last_year)
    enrol_ready(a)

    died = timezone.localdate() - datetime.timedelta(days=90)
    d.death_date = died
    d.save(update_fields=["death_date"])
    after_death = testing.make_certification(
        d_entitlement, certified_at=timezone.now() - datetime.timedelta(days=20)
    )
    death_case_d = DeathAfterCertificationCase.objects.create(
        person=d,
        entitlement=d_entitlement,
        certification=after_death,
        death_date=died,
        certified_at=after_death.certified_at,
        channel=Channel.COUNTER,
    )
    overpayment_d = Overpayment.objects.create(
        entitlement=d_entitlement,
        death_date=died,
        months=2,
        amount=Decimal("6400.00"),
        case=death_case_d,
    )
    d_entitlement.status = Entitlement.Status.TERMINATED
    d_entitlement.save(update_fields=["status"])

    run_gz = SuspensionRun.objects.create(
        region=gz,
        count=1,
        run_at=last_year,
        run_on=last_year.date(),
        run_by_label="定时任务",
    )
    run_gz.entitlements.add(a_entitlement)
    BackPay.objects.create(
        entitlement=a_entitlement,
        certification=certification_a,
        suspension_run=run_gz,
        suspended_since=last_year.date(),
        months=1,
        amount=Decimal("3200.00"),
    )
    face_session_a = FaceSession.objects.create(
        person=a,
        region=gz,
        challenge={"actions": ["blink"]},
        status=FaceSession.Status.FAILED,
        verdict="mismatch",
        face_seen=True,
        expires_at=timezone.now(),
        finished_at=timezone.now(),
        # One frame kept for the review (人工审核影像).
        evidence=[vault.seal(b"\xff\xd8\xff\xe0matrix-frame")],
        evidence_until=timezone.now() + datetime.timedelta(days=30),
    )
    review_a = ReviewRequest.objects.create(
        person=a, region=gz, reason="人脸认证失败", face_session=face_session_a
    )

    users = {
        "pensioner_a": testing.make_personal_user(a),
        "pensioner_b": testing.make_personal_user(b),
        "helper": testing.make_personal_user(h),
        "unit_x": testing.make_unit_user(unit_x, username="matrix_unit_x"),
        "unit_y": testing.make_unit_user(unit_y, username="matrix_unit_y"),
        "staff_gz": testing.make_staff_user(gz, username="matrix_staff_gz"),
        "staff_sz": testing.make_staff_user(sz, username="matrix_staff_sz"),
        "province": testing.make_staff_user(
            None, username="matrix_province", is_superuser=True
        ),
    }
    testing.make_unit_user(unit_z, username="matrix_old_z")
    FamilyLink.objects.create(account=users["helper"], person=a)
    bindings = {}
    for role in UNIT:
        binding = users[role].bindings.get()
        bindings[role] = binding
        Commitment.objects.create(
            account=users[role],
            unit=binding.unit,
            operator_name=binding.operator_name,
            version=_letter_version(),
        )
    code_z = issue_authorization_code(unit=unit_z, acting_user=None)
    token_gz, _ = issue_token(
        system_name="广州医保比对", scopes=["read_status"], region=gz, acting_user=None
    )
    # One audit row in each region, about its pensioner (审计日志).
    for staff, person, region in (("staff_gz", a, gz), ("staff_sz", b, sz)):
        audit.record(
            AuditAction.FACE_ENROL,
            acting_user=users[staff],
            target=person,
            region_id=region.pk,
        )
    notice_gz = publish_notice(
        acting_user=users["staff_gz"],
        fields=NoticeFields(
            category="announcement",
            title="广州市认证安排公示",
            body="请按时认证。",
            region=gz,
            publish_at=last_year,
        ),
        attachment=SimpleUploadedFile("安排.pdf", b"%PDF-1.4\n%%EOF\n"),
    )
    world = World(
        users={role: user.pk for role, user in users.items()},
        usernames={role: user.username for role, user in users.items()},
        a=a,
        b=b,
        h=h,
        c=c,
        d=d,
        r=r,
        z=unit_z,
        a_entitlement=a_entitlement,
        c_entitlement=c_entitlement,
        binding_x=bindings["unit_x"],
        binding_y=bindings["unit_y"],
        unit_x=unit_x,
        unit_y=unit_y,
        gz=gz,
        sz=sz,
        certification_a=certification_a,
        face_session_a=face_session_a,
        review_a=review_a,
        overpayment_d=overpayment_d,
        death_case_d=death_case_d,
        run_gz=run_gz,
        code_z=code_z,
        notice_gz=notice_gz,
        token_gz=token_gz,
    )
    for role, user in users.items():
        browser = Client()
        browser.force_login(user)
        if role == "helper":  # certifying for A (家属协助)
            session = browser.session
            session[SESSION_PERSON] = str(a.public_id)
            session.save()
        world.sessions[role] = browser.cookies[settings.SESSION_COOKIE_NAME].value
    browser = Client()
    browser.get(reverse("accounts:personal-login"))
    world.csrf = browser.cookies[settings.CSRF_COOKIE_NAME].value
    return world


def _letter_version() -> str:
    return str(settings.COMMITMENT_LETTER_VERSION)


def client_for(world: World, role: str, **extra: Any) -> Client:
    """A browser of ``role``, logged in, with a CSRF cookie."""
    client = Client(**extra)
    client.cookies[settings.CSRF_COOKIE_NAME] = world.csrf
    if role != "anonymous":
        client.cookies[settings.SESSION_COOKIE_NAME] = world.sessions[role]
    return client
