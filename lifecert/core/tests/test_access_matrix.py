"""Access-control matrix (issue 11): every URL × every role, who may read and
who may write what.

``MATRIX`` has one row per named route of the resolver (a new URL without a
row fails ``test_every_route_is_in_the_matrix``). Each row gives the status
of a GET for each of the nine roles of ``access_world`` and, for the routes
that accept a POST, a ``Write``: the POST (with a real CSRF token) each role
sends, the status it gets, and the state it may change. A role outside
``writers`` must leave that state, and the count of every table that matters,
exactly as they were; a writer must change it (so the POST is a real one and
the refusals are not vacuous). Objects in URLs belong to pensioner A, unit X
and region 广州 (GZ): B, unit Y and 深圳 (SZ) staff get 404.

Every HTML page read in the matrix is also searched for the full ID numbers
of the world's pensioners: only the back office's person page shows one, to
staff who may see that person, and the admin to the province's superuser.
"""

import datetime
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import time_machine
from axes.models import AccessAttempt
from django.contrib import admin
from django.db import transaction
from django.test import Client, override_settings
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from lifecert.accounts.access import SESSION_BINDING
from lifecert.accounts.models import (
    AuthorizationCode,
    ExternalIdentity,
    FamilyLink,
    UnitBinding,
    User,
)
from lifecert.api.models import ApiToken
from lifecert.certification.models import (
    Certification,
    DeathAfterCertificationCase,
    FaceSession,
    FaceTemplate,
    Overpayment,
    ReviewRequest,
)
from lifecert.core.masking import mask_id
from lifecert.core.models import AuditEvent
from lifecert.demo.testing import xlsx_upload
from lifecert.employer.models import Commitment
from lifecert.employer.selection import get_selection, sign_shown
from lifecert.notices.models import Notice
from lifecert.pensioner.access import SESSION_FAMILY_PENDING, SESSION_PERSON
from lifecert.pensioner.tests.helpers import frame
from lifecert.registry.imports import COLUMNS
from lifecert.registry.models import Entitlement, Person

from . import access_world
from .access_world import PASSWORD, PERSONAL, ROLES, STAFF, UNIT, World

# ---------------------------------------------------------------- expectations


@dataclass(frozen=True)
class To:
    """A redirect (302) to a URL starting with ``prefix``."""

    prefix: str


Expect = int | To

STAFF_LOGIN = To("/accounts/staff/login/")
UNIT_LOGIN = To("/accounts/unit/login/")
PERSONAL_LOGIN = To("/accounts/personal/login/")
CERT_LOGIN = To("/personal/certify/login/")
ADMIN_LOGIN = To("/admin/login/")


def by(default: Expect, **roles: Expect) -> dict[str, Expect]:
    return {role: roles.get(role, default) for role in ROLES}


def public(ok: Expect = 200, **roles: Expect) -> dict[str, Expect]:
    return by(ok, **roles)


def staff_only(ok: Expect = 200, **roles: Expect) -> dict[str, Expect]:
    """``staff_required``: anonymous to the staff login, other kinds 403."""
    return {
        "anonymous": STAFF_LOGIN,
        **dict.fromkeys(PERSONAL + UNIT, 403),
        **dict.fromkeys(STAFF, ok),
        **roles,
    }


def staff_gz(ok: Expect = 200, **roles: Expect) -> dict[str, Expect]:
    """A GZ object: SZ staff do not find it."""
    return staff_only(ok, staff_sz=404, **roles)


def province_only(ok: Expect = 200, **roles: Expect) -> dict[str, Expect]:
    """``province_required``: regional staff get 403 like the other kinds."""
    return staff_only(ok, staff_gz=403, staff_sz=403, **roles)


def unit_only(ok: Expect = 200, **roles: Expect) -> dict[str, Expect]:
    """``unit_required``: anonymous to the unit login, other kinds 403."""
    return {
        "anonymous": UNIT_LOGIN,
        **dict.fromkeys(PERSONAL + STAFF, 403),
        **dict.fromkeys(UNIT, ok),
        **roles,
    }


def personal_only(ok: Expect = 200, **roles: Expect) -> dict[str, Expect]:
    return {
        "anonymous": PERSONAL_LOGIN,
        **dict.fromkeys(UNIT + STAFF, 403),
        **dict.fromkeys(PERSONAL, ok),
        **roles,
    }


def certifying(ok: Expect = 200, **roles: Expect) -> dict[str, Expect]:
    """``certifying_person_required``: whoever is not certifying someone (no
    personal account, no certification login) goes to the certification login."""
    return {
        **dict.fromkeys(("anonymous", *UNIT, *STAFF), CERT_LOGIN),
        **dict.fromkeys(PERSONAL, ok),
        **roles,
    }


def of_a(ok: Expect = 200, **roles: Expect) -> dict[str, Expect]:
    """A's own object: A and the helper certifying for A; B does not find it."""
    return certifying(ok, pensioner_b=404, **roles)


def json_login(ok: Expect, **roles: Expect) -> dict[str, Expect]:
    """The camera's JSON endpoints: 401 with the way to the login."""
    return {
        **dict.fromkeys(("anonymous", *UNIT, *STAFF), 401),
        **dict.fromkeys(PERSONAL, ok),
        **roles,
    }


# ---------------------------------------------------------------- state


def fingerprint() -> tuple[Any, ...]:
    """What any write would change: counts and states of every table that matters."""
    return (
        Certification.objects.count(),
        AuditEvent.objects.count(),
        FaceSession.objects.count(),
        list(FaceSession.objects.order_by("id").values_list("status", "frames_seen")),
        FaceTemplate.objects.count(),
        list(UnitBinding.objects.order_by("id").values_list("id", "operator_name")),
        FamilyLink.objects.count(),
        list(User.objects.order_by("id").values_list("id", "password", "is_active")),
        Person.objects.count(),
        list(Entitlement.objects.order_by("id").values_list("id", "status")),
        list(Commitment.objects.order_by("id").values_list("id", "accepted_at")),
        list(AuthorizationCode.objects.order_by("id").values_list("code_hash")),
        list(ReviewRequest.objects.order_by("id").values_list("status")),
        list(Overpayment.objects.order_by("id").values_list("status")),
        list(DeathAfterCertificationCase.objects.order_by("id").values_list("status")),
        list(Notice.objects.order_by("id").values_list("title", "withdraw_at")),
    )


@dataclass
class Ctx:
    world: World
    role: str
    client: Client

    def session(self, key: str) -> Any:
        return self.client.session.get(key)

    def set_session(self, **values: Any) -> None:
        session = self.client.session
        session.update(values)
        session.save()


State = Callable[[Ctx], Any]


@dataclass
class Write:
    expect: dict[str, Expect]
    data: Callable[[Ctx], Any] = lambda ctx: {}
    # What the writers change and nobody else may; ``None``: a public form
    # (login, search kept in the session) whose only check is the status.
    state: State | None = None
    writers: tuple[str, ...] = ()
    prepare: Callable[[Ctx], None] | None = None
    content_type: str | None = None
    stand_in: bool = False


@dataclass
class Route:
    get: dict[str, Expect]
    args: Callable[[World], list[Any]] = lambda world: []
    post: Write | None = None
    # Roles to whom the page may show a full ID number of the world's people.
    full_ids: tuple[str, ...] = ()


# ---------------------------------------------------------------- POST bodies

OPERATOR = {
    "operator_name": "周经办",
    "operator_phone": "13712345678",
    "operator_id_number": "440106198001010019",
}
NEW_PASSWORD = "Qz-8841-matrix"
NOTICE = {
    "category": "news",
    "title": "矩阵公告",
    "body": "正文",
    "publish_at": "2026-01-01T08:00",
}


def _row(world: World) -> list[Any]:
    values = {
        "社会保障号码": "440106195505150011",
        "姓名": "庚新人",
        "联系电话": "13800000001",
        "居住地址": "广州市越秀区中山路 1 号",
        "参保地代码": world.gz.code,
        "单位编号": world.unit_x.number,
        "单位名称": world.unit_x.name,
        "待遇状态": "正常",
        "月养老金": 3100.5,
        "待遇开始日期": datetime.date(2016, 5, 1),
    }
    return [values[c] for c in COLUMNS]


def _import_plan(world: World) -> tuple[bytes, Any]:
    from lifecert.registry.import_plan import preview_registry

    data = xlsx_upload(COLUMNS, [_row(world)]).getvalue()
    return data, preview_registry(data, regions=[world.gz])


def _pending_import(world: World) -> Any:
    """A registry upload GZ staff checked and have not confirmed: its token."""
    from lifecert.backoffice import pending_imports

    data, plan = _import_plan(world)
    staff = User.objects.get(pk=world.users["staff_gz"])
    return pending_imports.save(data, user=staff, plan=plan, file_name="m.xlsx")


def _png() -> io.BytesIO:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (64, 64), (200, 180, 160)).save(buffer, format="PNG")
    buffer.seek(0)
    buffer.name = "face.png"
    return buffer


def _save_token(ctx: Ctx) -> dict[str, str]:
    """Unit X ticks A, opens the confirmation and takes its one-time token; any
    other role posts X's token from its own browser."""
    world = ctx.world
    x = ctx.client if ctx.role == "unit_x" else access_world.client_for(world, "unit_x")
    shown = sign_shown(world.binding_x, [world.a_entitlement.public_id])
    x.post(
        reverse("employer:certify-select"),
        {
            "shown": shown,
            "selected": [str(world.a_entitlement.public_id)],
            "action": "save",
        },
        HTTP_X_CSRFTOKEN=world.csrf,
    )
    confirm = x.get(reverse("employer:certify-confirm"))
    return {"token": confirm.context["confirmation"].token}


def _open_session(ctx: Ctx) -> None:
    FaceSession.objects.create(
        person=ctx.world.a,
        region=ctx.world.gz,
        challenge={
            "actions": ["blink", "turn_left"],
            "per_action_seconds": 8.0,
            "session_seconds": 120.0,
            "holds": [1.0, 1.0],
            "reaction_seconds": 6.0,
        },
        expires_at=_in_a_minute(),
    )


def _in_a_minute() -> Any:
    from django.utils import timezone

    return timezone.now() + datetime.timedelta(minutes=1)


def _open_id(world: World) -> list[Any]:
    """A's open face session (made by ``_open_session``), else a finished one."""
    found = FaceSession.objects.filter(person=world.a, status="open").first()
    return [(found or world.face_session_a).public_id]


def _open_state(ctx: Ctx) -> Any:
    return list(
        FaceSession.objects.filter(person=ctx.world.a, status="open").values_list(
            "frames_seen", "status"
        )
    )


def _session_state(key: str) -> State:
    return lambda ctx: ctx.session(key)


def _account_a(world: World) -> Any:
    """Pensioner A's personal account (窗口重置密码)."""
    return User.objects.get(pk=world.users["pensioner_a"]).public_id


def _staff_gz(world: World) -> Any:
    """GZ's staff account (经办人员账号, kept by the province)."""
    return User.objects.get(pk=world.users["staff_gz"]).public_id


def _staff_gz_row(ctx: Ctx) -> Any:
    return User.objects.filter(pk=ctx.world.users["staff_gz"]).values_list(
        "password", "is_active"
    )[0]


def _lock_staff_gz(ctx: Ctx) -> None:
    AccessAttempt.objects.create(
        username=ctx.world.usernames["staff_gz"],
        ip_address="10.0.0.9",
        user_agent="matrix",
        failures_since_start=5,
        get_data="",
        post_data="",
        http_accept="",
        path_info="/accounts/staff/login/",
    )


def _staff_gz_locks(ctx: Ctx) -> Any:
    return AccessAttempt.objects.filter(
        username=ctx.world.usernames["staff_gz"]
    ).count()


def _logged_in(ctx: Ctx) -> Any:
    return ctx.session("_auth_user_id")


def _own_password(ctx: Ctx) -> Any:
    if ctx.role == "anonymous":
        return None
    return User.objects.get(pk=ctx.world.users[ctx.role]).password


def _selection(ctx: Ctx) -> Any:
    if ctx.role not in UNIT:
        return None
    binding = ctx.world.binding_x if ctx.role == "unit_x" else ctx.world.binding_y
    return get_selection(ctx.client.session, binding).ids


HOME_OF = {
    **{role: To("/personal/") for role in PERSONAL},
    **{role: To("/accounts/unit/") for role in UNIT},
    **{role: To("/backoffice/") for role in STAFF},
}

# ---------------------------------------------------------------- the matrix

W = World
MATRIX: dict[str, Route] = {
    "home": Route(public()),
    # ---- accounts
    "accounts:personal-login": Route(
        public(),
        post=Write(
            public(To("/personal/")),
            data=lambda ctx: {"username": ctx.world.a.ssn, "password": PASSWORD},
        ),
    ),
    "accounts:personal-register": Route(
        public(),
        post=Write(
            public(To("/personal/")),
            data=lambda ctx: {
                "name": ctx.world.r.name,
                "ssn": ctx.world.r.ssn,
                "phone": "13811112222",
                "password1": NEW_PASSWORD,
                "password2": NEW_PASSWORD,
            },
            state=lambda ctx: User.objects.filter(username=ctx.world.r.ssn).count(),
            writers=ROLES,
        ),
    ),
    "accounts:personal-reclaim": Route(
        public(),
        post=Write(
            public(To("/personal/certify/")),
            data=lambda ctx: {"name": ctx.world.a.name, "ssn": ctx.world.a.ssn},
        ),
    ),
    "accounts:personal-reclaim-finish": Route(
        public(To("/accounts/personal/reclaim/")),
        post=Write(public(To("/accounts/personal/reclaim/"))),
    ),
    "accounts:unit-login": Route(
        public(),
        post=Write(
            public(To("/accounts/unit/")),
            data=lambda ctx: {
                "username": ctx.world.usernames["unit_x"],
                "password": PASSWORD,
            },
        ),
    ),
    "accounts:unit-register": Route(
        public(),
        post=Write(
            public(To("/accounts/unit/")),
            data=lambda ctx: {
                "username": "matrix_new_unit",
                "password1": NEW_PASSWORD,
                "password2": NEW_PASSWORD,
            },
            state=lambda ctx: User.objects.filter(username="matrix_new_unit").count(),
            writers=ROLES,
        ),
    ),
    # No form: a POST renders the same page.
    "accounts:unit-home": Route(unit_only()),
    "accounts:unit-bind-code": Route(
        unit_only(),
        post=Write(
            unit_only(To("/accounts/unit/")),
            data=lambda ctx: {
                "unit_number": ctx.world.z.number,
                "code": ctx.world.code_z,
                **OPERATOR,
            },
            state=lambda ctx: UnitBinding.objects.filter(unit=ctx.world.z).count(),
            writers=UNIT,
        ),
    ),
    "accounts:unit-bind-old": Route(
        unit_only(),
        post=Write(
            unit_only(To("/accounts/unit/")),
            data=lambda ctx: {
                "old_username": "matrix_old_z",
                "old_password": PASSWORD,
                **OPERATOR,
            },
            state=lambda ctx: UnitBinding.objects.filter(unit=ctx.world.z).count(),
            writers=UNIT,
        ),
    ),
    "accounts:unit-binding-edit": Route(
        unit_only(unit_y=404),
        args=lambda w: [w.binding_x.public_id],
        post=Write(
            unit_only(To("/accounts/unit/"), unit_y=404),
            data=lambda ctx: OPERATOR,
            state=lambda ctx: (
                UnitBinding.objects.get(pk=ctx.world.binding_x.pk).operator_name
            ),
            writers=("unit_x",),
        ),
    ),
    "accounts:unit-switch": Route(
        unit_only(405),
        post=Write(
            unit_only(To("/unit/"), unit_y=404),
            data=lambda ctx: {"binding": str(ctx.world.binding_x.public_id)},
            state=_session_state(SESSION_BINDING),
            writers=("unit_x",),
        ),
    ),
    "accounts:staff-login": Route(
        public(),
        post=Write(
            public(To("/backoffice/")),
            data=lambda ctx: {
                "username": ctx.world.usernames["staff_gz"],
                "password": PASSWORD,
            },
        ),
    ),
    "accounts:logout": Route(
        public(405),
        post=Write(
            public(To("/")),
            state=_logged_in,
            writers=tuple(r for r in ROLES if r != "anonymous"),
        ),
    ),
    "accounts:password": Route(
        public(200, anonymous=To("/")),
        post=Write(
            {"anonymous": To("/"), **HOME_OF},
            data=lambda ctx: {
                "old_password": PASSWORD,
                "password1": NEW_PASSWORD,
                "password2": NEW_PASSWORD,
            },
            state=_own_password,
            writers=tuple(r for r in ROLES if r != "anonymous"),
        ),
    ),
    "accounts:password-forgot": Route(public()),
    # 统一身份认证 is off unless a provider is configured (accounts/tests/test_oidc).
    "accounts:oidc-start": Route(public(404), args=lambda w: ["personal"]),
    "accounts:oidc-callback": Route(public(404)),
    # Only after the provider's callback left a unit identity in the session
    # (accounts/tests/test_oidc, test_unit_sso_link): for everyone else, to
    # the unit login, and a POST with the unit's live code links nothing.
    "accounts:unit-sso-link": Route(
        public(UNIT_LOGIN),
        post=Write(
            public(UNIT_LOGIN),
            data=lambda ctx: {
                "unit_number": ctx.world.z.number,
                "code": ctx.world.code_z,
            },
            state=lambda ctx: ExternalIdentity.objects.count(),
        ),
    ),
    # ---- pensioner (个人版)
    "pensioner:centre": Route(certifying()),
    "pensioner:cert-login": Route(
        public(200, **{role: To("/personal/") for role in PERSONAL}),
        # Whoever knows the registered name and number certifies for that
        # person (the guide's 资格认证登记, for a family member too).
        post=Write(
            public(To("/personal/")),
            data=lambda ctx: {"name": ctx.world.a.name, "ssn": ctx.world.a.ssn},
        ),
    ),
    "pensioner:cert-logout": Route(
        public(405),
        post=Write(
            public(CERT_LOGIN),
            state=_session_state(SESSION_PERSON),
            writers=("helper",),  # the only one certifying for someone else
        ),
    ),
    "pensioner:region-switch": Route(
        public(405),
        post=Write(
            certifying(To("/personal/")),
            data=lambda ctx: {"region": ctx.world.gz.code},
            state=_session_state("region_code"),
            writers=("pensioner_a", "helper"),  # B has no pension in GZ
        ),
    ),
    "pensioner:act-as": Route(
        personal_only(405),
        post=Write(
            personal_only(To("/personal/"), pensioner_b=To("/personal/family/")),
            data=lambda ctx: {"person": str(ctx.world.a.public_id)},
            # The helper starts as itself; only the helper may act as A.
            prepare=lambda ctx: (
                ctx.set_session(**{SESSION_PERSON: None})
                if ctx.role == "helper"
                else None
            ),
            state=_session_state(SESSION_PERSON),
            writers=("helper",),
        ),
    ),
    "pensioner:certify": Route(certifying()),
    "pensioner:session-start": Route(
        public(405),
        post=Write(
            json_login(201, pensioner_b=403),  # B is not enrolled
            state=lambda ctx: FaceSession.objects.filter(person=ctx.world.a).count(),
            writers=("pensioner_a", "helper"),
            stand_in=True,
        ),
    ),
    "pensioner:session-frame": Route(
        public(405),
        args=_open_id,
        post=Write(
            json_login(200, pensioner_b=404),
            data=lambda ctx: frame(),
            content_type="image/jpeg",
            prepare=_open_session,
            state=_open_state,
            writers=("pensioner_a", "helper"),
            stand_in=True,
        ),
    ),
    "pensioner:session-finish": Route(
        public(405),
        args=_open_id,
        post=Write(
            json_login(200, pensioner_b=404),
            prepare=_open_session,
            state=_open_state,
            writers=("pensioner_a", "helper"),
            stand_in=True,
        ),
    ),
    "pensioner:session-result": Route(
        of_a(), args=lambda w: [w.face_session_a.public_id]
    ),
    "pensioner:history": Route(certifying()),
    "pensioner:family": Route(
        personal_only(),
        post=Write(
            personal_only(To("/personal/certify/")),
            data=lambda ctx: {"name": ctx.world.c.name, "ssn": ctx.world.c.ssn},
            state=_session_state(SESSION_FAMILY_PENDING),
            writers=PERSONAL,
        ),
    ),
    "pensioner:family-cancel": Route(
        personal_only(405),
        post=Write(
            personal_only(To("/personal/family/")),
            prepare=lambda ctx: ctx.set_session(
                **{SESSION_FAMILY_PENDING: str(ctx.world.c.public_id)}
            ),
            state=_session_state(SESSION_FAMILY_PENDING),
            writers=PERSONAL,
        ),
    ),
    "pensioner:receipt": Route(of_a(), args=lambda w: [w.certification_a.public_id]),
    "pensioner:receipt-verify": Route(public()),
    # ---- employer (单位版)
    "employer:index": Route(unit_only()),
    "employer:certify": Route(unit_only()),
    "employer:guide": Route(unit_only()),
    "employer:guide-form": Route(unit_only()),
    "employer:commitment": Route(
        unit_only(),
        post=Write(
            unit_only(To("/unit/certify/list/")),
            data=lambda ctx: {"agree": "1"},
            # Each unit account accepts afresh here (its letter withdrawn).
            prepare=lambda ctx: Commitment.objects.filter(
                account_id=ctx.world.users.get(ctx.role) if ctx.role in UNIT else 0
            ).delete(),
            state=lambda ctx: Commitment.objects.count(),
            writers=UNIT,
        ),
    ),
    "employer:certify-list": Route(
        unit_only(),
        post=Write(unit_only(To("/unit/certify/list/")), data=lambda ctx: {}),
    ),
    "employer:certify-select": Route(
        unit_only(405),
        post=Write(
            unit_only(To("/unit/certify/list/")),
            # X's page showed A; Y posts the same (signed for X) form.
            data=lambda ctx: {
                "shown": sign_shown(
                    ctx.world.binding_x, [ctx.world.a_entitlement.public_id]
                ),
                "selected": [str(ctx.world.a_entitlement.public_id)],
            },
            state=_selection,
            writers=("unit_x",),
        ),
    ),
    "employer:certify-confirm": Route(unit_only()),
    "employer:certify-save": Route(
        unit_only(405),
        post=Write(
            unit_only(To("/unit/certify/list/")),
            data=_save_token,
            state=lambda ctx: Certification.objects.filter(person=ctx.world.a).count(),
            writers=("unit_x",),
        ),
    ),
    "employer:certify-export": Route(unit_only()),
    "employer:roster": Route(unit_only(), post=Write(unit_only(To("/unit/roster/")))),
    "employer:roster-export": Route(unit_only()),
    "employer:reminder-export": Route(unit_only()),
    "employer:query": Route(
        unit_only(),
        post=Write(
            unit_only(To("/unit/query/")),
            data=lambda ctx: {"ssn": ctx.world.a.ssn},
        ),
    ),
    "employer:query-person": Route(
        unit_only(unit_y=404), args=lambda w: [w.a_entitlement.public_id]
    ),
    "employer:history-export": Route(unit_only()),
    # ---- back office (经办后台)
    "backoffice:index": Route(staff_only()),
    "backoffice:import": Route(
        staff_only(),
        # An upload only shows its preview: nobody writes anything here.
        post=Write(
            staff_only(To("/backoffice/import/"), staff_sz=400),  # GZ is not SZ's
            data=lambda ctx: {"file": xlsx_upload(COLUMNS, [_row(ctx.world)])},
            state=lambda ctx: Person.objects.filter(name="庚新人").count(),
            writers=(),
        ),
    ),
    "backoffice:import-template": Route(staff_only()),
    # GZ staff's own upload: nobody else's to see or confirm, province included.
    "backoffice:import-preview": Route(
        staff_only(staff_sz=404, province=404), args=lambda w: [_pending_import(w)]
    ),
    "backoffice:import-confirm": Route(
        staff_only(405),
        args=lambda w: [_pending_import(w)],
        post=Write(
            staff_only(To("/backoffice/import/"), staff_sz=404, province=404),
            data=lambda ctx: {"fingerprint": _import_plan(ctx.world)[1].fingerprint},
            state=lambda ctx: Person.objects.filter(name="庚新人").count(),
            writers=("staff_gz",),
        ),
    ),
    "backoffice:person-list": Route(
        staff_only(),
        post=Write(
            staff_only(To("/backoffice/persons/")), data=lambda ctx: {"q": "甲老人"}
        ),
    ),
    "backoffice:person-detail": Route(
        staff_gz(),
        args=lambda w: [w.a.public_id],
        # The registry's own page for staff who keep that person's record.
        full_ids=("staff_gz", "province"),
    ),
    "backoffice:account-password-reset": Route(
        staff_only(405),
        args=lambda w: [_account_a(w)],
        post=Write(
            staff_gz(To("/backoffice/accounts/")),
            state=lambda ctx: (
                User.objects.get(pk=ctx.world.users["pensioner_a"]).password
            ),
            writers=("staff_gz", "province"),
        ),
    ),
    "backoffice:account-password-slip": Route(
        staff_gz(),
        args=lambda w: [_account_a(w)],
        full_ids=("staff_gz", "province"),
    ),
    "backoffice:person-photo": Route(
        staff_only(405),
        args=lambda w: [w.a.public_id],
        post=Write(
            staff_gz(To("/backoffice/persons/")),
            data=lambda ctx: {"photo": _png()},
            state=lambda ctx: FaceTemplate.objects.filter(person=ctx.world.a).count(),
            writers=("staff_gz", "province"),
            stand_in=True,
        ),
    ),
    "backoffice:person-certify": Route(
        staff_only(405),
        args=lambda w: [w.a.public_id],
        post=Write(
            staff_gz(To("/backoffice/persons/")),
            data=lambda ctx: {
                "entitlement": str(ctx.world.a_entitlement.public_id),
                "channel": "counter",
            },
            state=lambda ctx: Certification.objects.filter(person=ctx.world.a).count(),
            writers=("staff_gz", "province"),
        ),
    ),
    "backoffice:unit-list": Route(staff_only()),
    "backoffice:unit-code": Route(
        staff_gz(),
        args=lambda w: [w.unit_x.public_id],
        post=Write(
            staff_gz(To("/backoffice/units/")),
            data=lambda ctx: {"unbind": "keep"},
            state=lambda ctx: list(
                AuthorizationCode.objects.filter(unit=ctx.world.unit_x).values_list(
                    "code_hash"
                )
            ),
            writers=("staff_gz", "province"),
        ),
    ),
    "backoffice:unit-code-slip": Route(staff_gz(), args=lambda w: [w.unit_x.public_id]),
    "backoffice:unit-binding-revoke": Route(
        staff_only(405),
        args=lambda w: [w.unit_x.public_id, w.binding_x.public_id],
        post=Write(
            staff_gz(To("/backoffice/units/")),
            state=lambda ctx: UnitBinding.objects.filter(
                pk=ctx.world.binding_x.pk
            ).count(),
            writers=("staff_gz", "province"),
        ),
    ),
    "backoffice:run-suspensions": Route(
        staff_only(),
        post=Write(
            # SZ's preview holds nobody: its run refuses the GZ count.
            staff_only(
                To("/backoffice/cycle/runs/"),
                staff_sz=To("/backoffice/cycle/suspend/"),
            ),
            data=lambda ctx: {"expected": "1"},
            state=lambda ctx: (
                Entitlement.objects.get(pk=ctx.world.c_entitlement.pk).status
            ),
            writers=("staff_gz", "province"),
        ),
    ),
    "backoffice:suspension-preview-export": Route(staff_only()),
    "backoffice:suspension-runs": Route(staff_only()),
    "backoffice:suspension-run": Route(staff_gz(), args=lambda w: [w.run_gz.public_id]),
    "backoffice:suspension-run-export": Route(
        staff_gz(), args=lambda w: [w.run_gz.public_id]
    ),
    "backoffice:back-pay-list": Route(staff_only()),
    "backoffice:back-pay-export": Route(staff_only()),
    "backoffice:overpayment-list": Route(staff_only()),
    "backoffice:overpayment-export": Route(staff_only()),
    "backoffice:overpayment-status": Route(
        staff_only(405),
        args=lambda w: [w.overpayment_d.public_id],
        post=Write(
            staff_gz(To("/backoffice/money/overpayments/")),
            data=lambda ctx: {"status": "recovered"},
            state=lambda ctx: (
                Overpayment.objects.get(pk=ctx.world.overpayment_d.pk).status
            ),
            writers=("staff_gz", "province"),
        ),
    ),
    "backoffice:death-case-list": Route(staff_only()),
    # 工作清单: every staff member opens them; rows and exports stay in the region.
    "backoffice:due-list": Route(staff_only()),
    "backoffice:due-export": Route(staff_only()),
    "backoffice:overdue-list": Route(staff_only()),
    "backoffice:overdue-export": Route(staff_only()),
    "backoffice:entitlement-list": Route(staff_only()),
    "backoffice:entitlement-export": Route(staff_only()),
    "backoffice:certification-list": Route(staff_only()),
    "backoffice:certification-export": Route(staff_only()),
    "backoffice:case-list": Route(staff_only()),
    "backoffice:case-export": Route(staff_only()),
    "backoffice:death-case-close": Route(
        staff_only(405),
        args=lambda w: [w.death_case_d.public_id],
        post=Write(
            staff_gz(To("/backoffice/cases/")),
            state=lambda ctx: (
                DeathAfterCertificationCase.objects.get(
                    pk=ctx.world.death_case_d.pk
                ).status
            ),
            writers=("staff_gz", "province"),
        ),
    ),
    "backoffice:evidence-import": Route(
        staff_only(),
        args=lambda w: ["deaths"],
        post=Write(
            staff_only(200, staff_sz=400),  # C is not SZ's
            data=lambda ctx: {
                "file": xlsx_upload(
                    ["社会保障号码", "姓名", "死亡日期"],
                    [[ctx.world.c.ssn, ctx.world.c.name, "2026-01-05"]],
                )
            },
            state=lambda ctx: (
                Entitlement.objects.get(pk=ctx.world.c_entitlement.pk).status
            ),
            writers=("staff_gz", "province"),
        ),
    ),
    "backoffice:review-queue": Route(staff_only()),
    "backoffice:review-detail": Route(
        staff_gz(), args=lambda w: [w.review_a.public_id]
    ),
    # A's kept frame (JPEG), opened after the region check.
    "backoffice:review-frame": Route(
        staff_gz(), args=lambda w: [w.review_a.public_id, 0]
    ),
    "backoffice:reminder-list": Route(staff_only(To("/backoffice/lists/due/"))),
    "backoffice:reminder-export": Route(staff_only()),
    "backoffice:staff-list": Route(
        province_only(),
        post=Write(
            province_only(To("/backoffice/accounts/")),
            data=lambda ctx: {
                "username": "matrix_new_staff",
                "display_name": "新经办",
                "region": ctx.world.gz.code,
            },
            state=lambda ctx: User.objects.filter(username="matrix_new_staff").count(),
            writers=("province",),
        ),
    ),
    "backoffice:staff-password-reset": Route(
        province_only(405),
        args=lambda w: [_staff_gz(w)],
        post=Write(
            province_only(To("/backoffice/accounts/")),
            state=_staff_gz_row,
            writers=("province",),
        ),
    ),
    "backoffice:staff-unlock": Route(
        province_only(405),
        args=lambda w: [_staff_gz(w)],
        post=Write(
            province_only(To("/backoffice/staff/")),
            prepare=_lock_staff_gz,
            state=_staff_gz_locks,
            writers=("province",),
        ),
    ),
    "backoffice:staff-active": Route(
        province_only(405),
        args=lambda w: [_staff_gz(w)],
        post=Write(
            province_only(To("/backoffice/staff/")),
            data=lambda ctx: {"active": "0"},
            state=_staff_gz_row,
            writers=("province",),
        ),
    ),
    "backoffice:review-close": Route(
        staff_only(405),
        args=lambda w: [w.review_a.public_id],
        post=Write(
            staff_gz(To("/backoffice/reviews/")),
            data=lambda ctx: {"outcome": "rejected"},
            state=lambda ctx: (
                ReviewRequest.objects.get(pk=ctx.world.review_a.pk).status
            ),
            writers=("staff_gz", "province"),
        ),
    ),
    "backoffice:audit-list": Route(
        staff_only(),
        post=Write(staff_only(To("/backoffice/audit/")), data=lambda ctx: {}),
    ),
    "backoffice:audit-export": Route(staff_only()),
    # ---- portal notices (门户公告): public reads, staff writes
    "notices:list": Route(public()),
    "notices:detail": Route(public(), args=lambda w: [w.notice_gz.public_id]),
    "notices:attachment": Route(public(), args=lambda w: [w.notice_gz.public_id]),
    "notices:manage": Route(staff_only()),
    "notices:create": Route(
        staff_only(),
        post=Write(
            # SZ staff may not choose GZ: the form comes back with the reason.
            staff_only(To("/notices/manage/"), staff_sz=200),
            data=lambda ctx: {**NOTICE, "region": ctx.world.gz.code},
            state=lambda ctx: Notice.objects.filter(title=NOTICE["title"]).count(),
            writers=("staff_gz", "province"),
        ),
    ),
    "notices:edit": Route(
        staff_gz(),
        args=lambda w: [w.notice_gz.public_id],
        post=Write(
            staff_gz(To("/notices/manage/")),
            data=lambda ctx: {**NOTICE, "region": ctx.world.gz.code},
            state=lambda ctx: Notice.objects.get(pk=ctx.world.notice_gz.pk).title,
            writers=("staff_gz", "province"),
        ),
    ),
    "notices:withdraw": Route(
        staff_only(405),
        args=lambda w: [w.notice_gz.public_id],
        post=Write(
            staff_gz(To("/notices/manage/")),
            state=lambda ctx: Notice.objects.get(pk=ctx.world.notice_gz.pk).withdraw_at,
            writers=("staff_gz", "province"),
        ),
    ),
    # ---- 接口令牌 (system tokens, lifecert/api)
    "api-tokens:list": Route(
        staff_only(),
        post=Write(
            staff_only(200, staff_sz=400),  # GZ is not among SZ's regions
            data=lambda ctx: {
                "system_name": "矩阵系统",
                "scopes": ["read_status"],
                "region": ctx.world.gz.pk,
            },
            state=lambda ctx: ApiToken.objects.filter(system_name="矩阵系统").count(),
            writers=("staff_gz", "province"),
        ),
    ),
    "api-tokens:rotate": Route(
        staff_only(405),
        args=lambda w: [w.token_gz.public_id],
        post=Write(
            staff_gz(200),
            state=lambda ctx: ApiToken.objects.get(pk=ctx.world.token_gz.pk).key,
            writers=("staff_gz", "province"),
        ),
    ),
    "api-tokens:revoke": Route(
        staff_only(405),
        args=lambda w: [w.token_gz.public_id],
        post=Write(
            staff_gz(To("/backoffice/api-tokens/")),
            state=lambda ctx: ApiToken.objects.get(pk=ctx.world.token_gz.pk).active,
            writers=("staff_gz", "province"),
        ),
    ),
    # ---- the integration API: a system token, never a session (401 to every
    # browser role, a POST too: lifecert/api/tests); the schema is public.
    "api:schema": Route(public()),
    "api:docs": Route(public()),
    **{
        f"api:{name}": Route(by(401))
        for name in (
            "status",
            "evidence",
            "deaths",
            "certifications",
            "suspensions",
            "resumptions",
            "overpayments",
        )
    },
}


# ---------------------------------------------------------------- the admin
#
# Django's own admin: its permission machinery, not ours. Non-staff accounts
# (personal, unit) are sent to its login; regional staff have ``is_staff`` but
# no model permission (403, and 404 for an app index); the province's
# superuser may open everything but add or change an audit row.

NOT_ADMIN = {
    "anonymous": ADMIN_LOGIN,
    **dict.fromkeys(PERSONAL + UNIT, ADMIN_LOGIN),
}


def admin_route(
    staff: Expect, province: Expect | None = None, **roles: Expect
) -> dict[str, Expect]:
    return {
        **NOT_ADMIN,
        "staff_gz": staff,
        "staff_sz": staff,
        "province": staff if province is None else province,
        **roles,
    }


ADMIN_OBJECTS: dict[str, Callable[[World], Any]] = {
    "core.auditevent": lambda w: AuditEvent.objects.order_by("id").first().pk,
    "auth.group": lambda w: _group().pk,
    "registry.region": lambda w: w.gz.pk,
    "registry.person": lambda w: w.a.pk,
    "registry.unit": lambda w: w.unit_x.pk,
    "registry.entitlement": lambda w: w.a_entitlement.pk,
}


def _group() -> Any:
    from django.contrib.auth.models import Group

    group, _ = Group.objects.get_or_create(name="matrix")
    return group


def _admin_rows() -> dict[str, Route]:
    rows = {
        "admin:index": Route(admin_route(200)),
        "admin:login": Route(
            public(
                200,
                staff_gz=To("/admin/"),
                staff_sz=To("/admin/"),
                province=To("/admin/"),
            )
        ),
        "admin:logout": Route(
            admin_route(
                405,
                anonymous=To("/admin/"),
                **dict.fromkeys(PERSONAL + UNIT, To("/admin/")),
            )
        ),
        # Shadowed by ``admin-password-change`` (lifecert/urls.py): the admin's
        # own form checked the old password outside django-axes, unaudited.
        "admin:password_change": Route(
            public(To("/accounts/password/")),
            post=Write(
                public(To("/accounts/password/")),
                data=lambda ctx: {
                    "old_password": PASSWORD,
                    "new_password1": NEW_PASSWORD,
                    "new_password2": NEW_PASSWORD,
                },
                state=_own_password,
                writers=(),
            ),
        ),
        "admin-password-change": Route(public(To("/accounts/password/"))),
        "admin:password_change_done": Route(admin_route(200)),
        "admin:autocomplete": Route(admin_route(403)),  # no field named
        "admin:jsi18n": Route(admin_route(200)),
        # The shortcut to an object's page: our models have none.
        "admin:view_on_site": Route(
            admin_route(404),
            args=lambda w: [_content_type("registry.person"), w.a.pk],
        ),
        "admin:app_list": Route(admin_route(404, 200), args=lambda w: ["registry"]),
    }
    for model in admin.site._registry:
        label = model._meta.label_lower
        app, name = label.split(".")
        prefix = f"admin:{app}_{name}"
        read_only = label == "core.auditevent"

        def obj(w: World, label: str = label) -> list[Any]:
            return [ADMIN_OBJECTS[label](w)]

        rows[f"{prefix}_changelist"] = Route(admin_route(403, 200))
        rows[f"{prefix}_add"] = Route(admin_route(403, 403 if read_only else 200))
        # The superuser's object pages name related accounts by username
        # (a personal account's username is its number).
        rows[f"{prefix}_history"] = Route(admin_route(403, 200), args=obj)
        rows[f"{prefix}_change"] = Route(
            admin_route(403, 200), args=obj, full_ids=("province",)
        )
        rows[f"{prefix}_delete"] = Route(
            admin_route(403, 403 if read_only else 200),
            args=obj,
            full_ids=("province",),
        )
    return rows


def _content_type(label: str) -> int:
    from django.contrib.contenttypes.models import ContentType

    app, model = label.split(".")
    return ContentType.objects.get(app_label=app, model=model).pk


MATRIX.update(_admin_rows())

# Routes without a name cannot be reversed by the pages: the admin's object
# shortcut (``<id>/`` redirects to ``<id>/change/``) and its catch-all.
UNNAMED_REASON = "admin internals: redirects to the named change page or 404"


# ---------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def world(django_db_setup: None, django_db_blocker: Any) -> Iterator[World]:
    """One data set for the module, in a transaction rolled back at its end."""
    fast = override_settings(
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]
    )
    fast.enable()
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            built = access_world.build()
            _group()
            yield built
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)
            fast.disable()


@pytest.fixture
def db(world: World) -> Iterator[None]:
    """This module's ``db``: each test in a savepoint of the world's
    transaction, rolled back after it. It stands in for pytest-django's
    ``db`` (whose name still makes pytest-django set the test database up),
    without a TestCase per test: the matrix has well over a thousand tests."""
    atomic = transaction.atomic()
    atomic.__enter__()
    try:
        yield
    finally:
        transaction.set_rollback(True)
        atomic.__exit__(None, None, None)


def _url(name: str, world: World) -> str:
    return reverse(name, args=MATRIX[name].args(world))


def _check(response: Any, expected: Expect, what: str) -> None:
    if isinstance(expected, To):
        assert response.status_code == 302, f"{what}: {response.status_code}"
        location = response["Location"]
        assert location.startswith(expected.prefix), f"{what}: to {location}"
    else:
        assert response.status_code == expected, (
            f"{what}: {response.status_code} (expected {expected})"
        )


# A personal account's own number may show on its own pages (the admin's
# login says "you are logged in as 4306…", the username being the number).
OWN = {"pensioner_a": "a", "pensioner_b": "b", "helper": "h"}


def _others_numbers(world: World, role: str) -> dict[str, str]:
    """Full ID numbers of the world's people that ``role`` does not own."""
    people = {key: getattr(world, key) for key in ("a", "b", "c", "d", "h", "r")}
    return {p.name: p.ssn for key, p in people.items() if OWN.get(role) != key}


# ---------------------------------------------------------------- tests


def _named_routes() -> tuple[set[str], int]:
    names: set[str] = set()
    unnamed = 0

    def walk(patterns: list[Any], namespace: str) -> None:
        nonlocal unnamed
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                inner = namespace + (
                    f"{pattern.namespace}:" if pattern.namespace else ""
                )
                walk(pattern.url_patterns, inner)
            elif isinstance(pattern, URLPattern):
                if pattern.name:
                    names.add(namespace + pattern.name)
                else:
                    unnamed += 1
                    assert namespace == "admin:", f"unnamed route {pattern.pattern}"

    walk(get_resolver().url_patterns, "")
    return names, unnamed


def test_every_route_is_in_the_matrix() -> None:
    names, unnamed = _named_routes()
    assert names - set(MATRIX) == set(), "routes missing from the access matrix"
    assert set(MATRIX) - names == set(), "matrix rows for routes that do not exist"
    assert unnamed == len(admin.site._registry) + 1, UNNAMED_REASON


def test_every_row_names_every_role() -> None:
    for name, route in MATRIX.items():
        assert set(route.get) == set(ROLES), name
        if route.post is not None:
            assert set(route.post.expect) == set(ROLES), name
            assert set(route.post.writers) <= set(ROLES), name


READS = [(name, role) for name in MATRIX for role in ROLES]


@pytest.mark.parametrize(("name", "role"), READS, ids=[f"{n}-{r}" for n, r in READS])
def test_read(db: None, world: World, name: str, role: str) -> None:
    route = MATRIX[name]
    client = access_world.client_for(world, role)
    response = client.get(_url(name, world))
    _check(response, route.get[role], f"GET {name} as {role}")
    html = "html" in response.get("Content-Type", "")
    if response.status_code == 200 and not response.streaming and html:
        page = response.content.decode()
        for who, number in _others_numbers(world, role).items():
            if role not in route.full_ids:
                assert number not in page, f"{who}'s full ID number on {name}"


# Every route that shows something to someone, read by the first role it shows it to.
HEADS = [
    (name, next(role for role in ROLES if route.get[role] == 200))
    for name, route in MATRIX.items()
    if 200 in route.get.values()
]


@pytest.mark.parametrize(("name", "role"), HEADS, ids=[n for n, _ in HEADS])
def test_head_answers_as_get_does_without_a_body_and_writes_nothing(
    db: None, world: World, name: str, role: str
) -> None:
    """RFC 9110: a server that answers GET answers HEAD (it was 405 on 78
    pages). A download's HEAD gets the GET's headers, but no file is made and
    no export (or opening of a review frame) is audited."""
    client = access_world.client_for(world, role)
    url = _url(name, world)
    before = fingerprint()
    # One second for both: an export's file name carries the time.
    with time_machine.travel(timezone.now(), tick=False):
        head = client.head(url)
        assert fingerprint() == before, f"HEAD {name} wrote something"
        get = client.get(url)
    assert head.status_code == 200, f"HEAD {name} as {role}: {head.status_code}"
    body = b"".join(head.streaming_content) if head.streaming else head.content
    assert body == b""
    for header in ("Content-Type", "Content-Disposition"):
        assert head.get(header) == get.get(header), f"{header} of {name}"


def test_the_heads_cover_the_exports() -> None:
    heads = {name for name, _ in HEADS}
    assert {
        "backoffice:audit-export",
        "backoffice:suspension-run-export",
        "backoffice:review-frame",
        "employer:roster-export",
        "pensioner:receipt",
        "notices:attachment",
        "backoffice:import-template",
        "employer:guide-form",
    } <= heads


@pytest.mark.parametrize("name", ["accounts:oidc-start", "accounts:oidc-callback"])
def test_the_unified_login_steps_refuse_a_head(db: None, name: str) -> None:
    """A HEAD (a prefetch) of the login's start would replace the state of a
    login under way, and one of the provider's answer would spend its code."""
    args = ["personal"] if name == "accounts:oidc-start" else []
    response = Client().head(reverse(name, args=args) + "?code=x&state=y")
    assert response.status_code == 405
    assert response["Allow"] == "GET"


WRITES = [
    (name, role) for name, route in MATRIX.items() if route.post for role in ROLES
]


def _write(
    request: pytest.FixtureRequest,
    world: World,
    name: str,
    role: str,
    *,
    token: bool = True,
) -> tuple[Any, Any, Any, Any, Any]:
    spec = MATRIX[name].post
    assert spec is not None
    if spec.stand_in:
        request.getfixturevalue("stand_in")
    client = access_world.client_for(world, role, enforce_csrf_checks=True)
    ctx = Ctx(world, role, client)
    if spec.prepare is not None:
        spec.prepare(ctx)
    data = spec.data(ctx)
    state = spec.state or (lambda ctx: None)
    # Everything else only where this role must change nothing at all.
    refused = not token or (spec.state is not None and role not in spec.writers)
    whole: Callable[[], Any] = fingerprint if refused else lambda: None
    before, everything = state(ctx), whole()
    headers = {"HTTP_X_CSRFTOKEN": world.csrf} if token else {}
    url = _url(name, world)  # after ``prepare``: it may make the object
    if spec.content_type:
        response = client.post(url, data, content_type=spec.content_type, **headers)
    else:
        response = client.post(url, data, **headers)
    return response, before, state(ctx), everything, whole()


@pytest.mark.parametrize(("name", "role"), WRITES, ids=[f"{n}-{r}" for n, r in WRITES])
def test_write(
    db: None, world: World, request: pytest.FixtureRequest, name: str, role: str
) -> None:
    spec = MATRIX[name].post
    assert spec is not None
    response, before, after, all_before, all_after = _write(request, world, name, role)
    _check(response, spec.expect[role], f"POST {name} as {role}")
    if spec.state is None:
        return
    if role in spec.writers:
        assert after != before, f"{role} may {name} but nothing changed"
    else:
        assert after == before, f"{role} changed what {name} writes"
        assert all_after == all_before, f"{role}'s refused {name} wrote something"


def _first_writer(route: Route) -> str:
    """Who may make the POST (anonymous for a public form)."""
    assert route.post is not None
    return (route.post.writers or ("anonymous",))[0]


CSRF = [(name, _first_writer(route)) for name, route in MATRIX.items() if route.post]


@pytest.mark.parametrize(("name", "role"), CSRF, ids=[n for n, _ in CSRF])
def test_a_post_without_the_csrf_token_is_refused_and_writes_nothing(
    db: None, world: World, request: pytest.FixtureRequest, name: str, role: str
) -> None:
    response, before, after, all_before, all_after = _write(
        request, world, name, role, token=False
    )
    assert response.status_code == 403
    assert after == before
    assert all_after == all_before


# ---------------------------------------------------------------- ID numbers

MASKED_PAGES = [
    ("employer:certify-list", "unit_x", "a"),
    ("employer:roster", "unit_x", "a"),
    ("employer:query-person", "unit_x", "a"),
    ("employer:roster", "unit_y", "b"),
    ("backoffice:person-list", "staff_gz", "a"),
    ("backoffice:person-list", "province", "b"),
    ("backoffice:review-queue", "staff_gz", "a"),
    ("backoffice:review-detail", "province", "a"),
    ("backoffice:back-pay-list", "staff_gz", "a"),
    ("backoffice:overpayment-list", "staff_gz", "d"),
    ("backoffice:death-case-list", "province", "d"),
    ("backoffice:run-suspensions", "staff_gz", "c"),
    ("backoffice:suspension-run", "staff_gz", "a"),
    ("pensioner:centre", "helper", "a"),
    ("pensioner:history", "helper", "a"),
    ("pensioner:family", "helper", "a"),
    ("admin:registry_person_changelist", "province", "a"),
    ("backoffice:audit-list", "staff_gz", "a"),
    ("backoffice:entitlement-list", "staff_gz", "a"),
    ("backoffice:overdue-list", "staff_gz", "c"),
    ("backoffice:certification-list", "staff_gz", "a"),
    ("backoffice:case-list", "province", "d"),
]


@pytest.mark.parametrize(
    ("name", "role", "who"), MASKED_PAGES, ids=[f"{n}-{r}" for n, r, _ in MASKED_PAGES]
)
def test_a_viewer_who_is_not_the_owner_sees_the_number_masked(
    db: None, world: World, name: str, role: str, who: str
) -> None:
    person = getattr(world, who)
    page = access_world.client_for(world, role).get(_url(name, world))
    assert page.status_code == 200
    text = page.content.decode()
    assert mask_id(person.ssn) in text
    assert person.ssn not in text


def test_the_confirmation_of_a_save_masks_the_numbers(db: None, world: World) -> None:
    client = access_world.client_for(world, "unit_x")
    data = _save_token(Ctx(world, "unit_x", client))
    page = client.get(reverse("employer:certify-confirm")).content.decode()
    assert data["token"]
    assert mask_id(world.a.ssn) in page
    assert world.a.ssn not in page


# ---------------------------------------------------------------- rows of lists
#
# A list page a role may open still shows only the rows that role may read.

A, B, C, D = "甲老人", "乙老人", "丁逾期", "戊故去"
X, Y = "广州市甲公司", "深圳市乙公司"
LIST_ROWS = [
    ("employer:certify-list", "unit_x", [A, C], [B]),
    ("employer:certify-list", "unit_y", [B], [A, C]),
    ("employer:roster", "unit_x", [A, C, D], [B]),
    ("employer:roster", "unit_y", [B], [A, C, D]),
    ("backoffice:person-list", "staff_gz", [A, C, D], [B]),
    ("backoffice:person-list", "staff_sz", [B], [A, C, D]),
    ("backoffice:person-list", "province", [A, B], []),
    ("backoffice:unit-list", "staff_gz", [X], [Y]),
    ("backoffice:unit-list", "staff_sz", [Y], [X]),
    ("backoffice:review-queue", "staff_gz", [A], []),
    ("backoffice:review-queue", "staff_sz", [], [A]),
    ("backoffice:back-pay-list", "staff_gz", [A], []),
    ("backoffice:back-pay-list", "staff_sz", [], [A]),
    ("backoffice:overpayment-list", "staff_gz", [D], []),
    ("backoffice:overpayment-list", "staff_sz", [], [D]),
    ("backoffice:death-case-list", "province", [D], []),
    ("backoffice:death-case-list", "staff_sz", [], [D]),
    ("backoffice:run-suspensions", "staff_gz", [C], []),
    ("backoffice:run-suspensions", "staff_sz", [], [C]),
    ("pensioner:family", "helper", [A], []),
    ("pensioner:family", "pensioner_b", [], [A]),
    ("backoffice:audit-list", "staff_gz", [A], [B]),
    ("backoffice:audit-list", "staff_sz", [B], [A]),
    ("backoffice:audit-list", "province", [A, B], []),
    ("backoffice:entitlement-list", "staff_gz", [A, C, D], [B]),
    ("backoffice:entitlement-list", "staff_sz", [B], [A, C, D]),
    ("backoffice:entitlement-list", "province", [A, B], []),
    ("backoffice:overdue-list", "staff_gz", [C], [B]),
    ("backoffice:overdue-list", "staff_sz", [], [A, C, D]),
    ("backoffice:due-list", "staff_gz", [], [B]),
    ("backoffice:due-list", "staff_sz", [], [A, C, D]),
    ("backoffice:certification-list", "staff_gz", [A], [B]),
    ("backoffice:certification-list", "staff_sz", [], [A, C, D]),
    ("backoffice:case-list", "staff_gz", [A, D], [B]),
    ("backoffice:case-list", "staff_sz", [], [A, C, D]),
]


@pytest.mark.parametrize(
    ("name", "role", "shown", "hidden"),
    LIST_ROWS,
    ids=[f"{n}-{r}" for n, r, _, _ in LIST_ROWS],
)
def test_a_list_shows_only_the_rows_its_reader_may_read(
    db: None, world: World, name: str, role: str, shown: list[str], hidden: list[str]
) -> None:
    page = access_world.client_for(world, role).get(_url(name, world))
    assert page.status_code == 200
    text = page.content.decode()
    for row in shown:
        assert row in text, f"{row} missing for {role}"
    for row in hidden:
        assert row not in text, f"{row} shown to {role}"


def test_the_public_receipt_check_shows_the_owner_masked(
    db: None, world: World
) -> None:
    """自助打印单据验证 is public: anyone with the code sees masked facts only."""
    page = access_world.client_for(world, "anonymous").get(
        reverse("pensioner:receipt-verify"), {"code": access_world.RECEIPT_CODE}
    )
    text = page.content.decode()
    assert mask_id(world.a.ssn) in text
    assert world.a.ssn not in text
    assert world.a.name not in text


EXPORT_ROWS = [
    ("employer:certify-export", "unit_x", [A, C], [B]),
    ("employer:certify-export", "unit_y", [B], [A, C]),
    ("employer:roster-export", "unit_x", [A, D], [B]),
    ("employer:roster-export", "unit_y", [B], [A, D]),
    ("employer:history-export", "unit_x", [A], [B]),
    ("employer:history-export", "unit_y", [B], [A]),
    ("backoffice:suspension-preview-export", "staff_gz", [C], []),
    ("backoffice:suspension-preview-export", "staff_sz", [], [C]),
    ("backoffice:suspension-run-export", "staff_gz", [A], []),
    ("backoffice:back-pay-export", "staff_gz", [A], []),
    ("backoffice:back-pay-export", "staff_sz", [], [A]),
    ("backoffice:overpayment-export", "staff_gz", [D], []),
    ("backoffice:overpayment-export", "staff_sz", [], [D]),
    ("backoffice:audit-export", "staff_gz", [A], [B]),
    ("backoffice:audit-export", "staff_sz", [B], [A]),
    ("backoffice:entitlement-export", "staff_gz", [A, C, D], [B]),
    ("backoffice:entitlement-export", "staff_sz", [B], [A, C, D]),
    ("backoffice:overdue-export", "staff_gz", [C], [B]),
    ("backoffice:overdue-export", "staff_sz", [], [A, C, D]),
    ("backoffice:due-export", "staff_sz", [], [A, C, D]),
    ("backoffice:certification-export", "staff_gz", [A], [B]),
    ("backoffice:certification-export", "staff_sz", [], [A, C, D]),
    ("backoffice:case-export", "staff_gz", [A, D], [B]),
    ("backoffice:case-export", "staff_sz", [], [A, C, D]),
]


def _cells(response: Any) -> str:
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    return " ".join(
        str(value)
        for sheet in book.worksheets
        for row in sheet.iter_rows(values_only=True)
        for value in row
        if value is not None
    )


@pytest.mark.parametrize(
    ("name", "role", "shown", "hidden"),
    EXPORT_ROWS,
    ids=[f"{n}-{r}" for n, r, _, _ in EXPORT_ROWS],
)
def test_an_export_holds_only_the_rows_its_reader_may_read(
    db: None, world: World, name: str, role: str, shown: list[str], hidden: list[str]
) -> None:
    response = access_world.client_for(world, role).get(_url(name, world))
    assert response.status_code == 200
    cells = _cells(response)
    for row in shown:
        assert row in cells, f"{row} missing for {role}"
    for row in hidden:
        assert row not in cells, f"{row} exported to {role}"
