"""个人版: certification login, user centre, face certification, history, receipts."""

import time
from typing import Any, TypeGuard

from django.conf import settings
from django.contrib import messages
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    JsonResponse,
)
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from lifecert.accounts.access import (
    SESSION_REGION,
    AuthenticatedRequest,
    parse_uuid,
    personal_required,
)
from lifecert.accounts.models import FamilyLink, User
from lifecert.certification import face_attempts, face_sessions, receipts
from lifecert.certification.cycle import cycle_months, due_soon_days
from lifecert.certification.cycle import due_date_of as due_date
from lifecert.certification.models import Certification, FaceSession
from lifecert.core.audit import client_ip
from lifecert.core.methods import download, require_form, require_safe
from lifecert.core.middleware import FACE_SESSIONS_KEY
from lifecert.core.pagination import paginate
from lifecert.core.redirects import safe_next
from lifecert.registry.models import Entitlement, Person

from . import forms, services
from .access import (
    SESSION_FAMILY_PENDING,
    SESSION_PERSON,
    CertifyingRequest,
    access_certification,
    access_face_session,
    certifying_face_session,
    certifying_person,
    certifying_person_required,
    person_entitlement,
    person_regions,
)
from .texts import NOTES, NOTES_ENVIRONMENT, NOTES_INTRO, OTHER_CHANNELS


def _is_personal(request: HttpRequest) -> TypeGuard[AuthenticatedRequest]:
    return bool(
        request.user.is_authenticated and request.user.kind == User.Kind.PERSONAL
    )


def _status_context(request: HttpRequest, person: Person) -> dict[str, Any]:
    entitlement = person_entitlement(request, person)
    due = due_date(entitlement) if entitlement else None
    return {
        "person": person,
        "entitlement": entitlement,
        "due": due,
        "overdue": due is not None and due < timezone.localdate(),
        # 认证到期提醒: days left when the due date is within 30 days.
        "due_in": due_soon_days(entitlement) if entitlement else None,
        "regions": person_regions(person),
        "is_self": _is_personal(request) and request.user.person_id == person.pk,
    }


# ---------------------------------------------------------------- login / centre


@require_form
def cert_login(request: HttpRequest) -> HttpResponse:
    """养老待遇资格认证登记: registered name + social security number."""
    if _is_personal(request) and request.user.person_id:
        return redirect("pensioner:centre")
    form = forms.CertLoginForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            person = services.find_registered_person(
                name=form.cleaned_data["name"],
                ssn=form.cleaned_data["ssn"],
                ip=client_ip(request),
            )
        except services.CertificationError as exc:
            form.add_error(None, exc.message)
        else:
            request.session.cycle_key()
            request.session[SESSION_PERSON] = str(person.public_id)
            request.session.pop(SESSION_REGION, None)
            return redirect(safe_next(request, reverse("pensioner:centre")))
    return render(request, "pensioner/cert_login.html", {"form": form})


@require_POST
def cert_logout(request: HttpRequest) -> HttpResponse:
    for key in (SESSION_PERSON, SESSION_FAMILY_PENDING, SESSION_REGION):
        request.session.pop(key, None)
    messages.info(request, "您已退出资格认证。")
    return redirect("pensioner:cert-login")


@require_safe
@certifying_person_required
def centre(request: CertifyingRequest) -> HttpResponse:
    """用户中心: 欢迎回来, last certification, due date, status, the six notes."""
    person = request.cert_person
    context = _status_context(request, person)
    context.update(
        {
            "notes_intro": NOTES_INTRO,
            "notes": NOTES,
            "notes_environment": NOTES_ENVIRONMENT,
            "blocked": face_attempts.camera_blocked(person),
            "family": _family_rows(request.user) if _is_personal(request) else [],
            "payment": _payment_context(context["entitlement"]),
        }
    )
    return render(request, "pensioner/centre.html", context)


def _payment_context(entitlement: Entitlement | None) -> dict[str, Any]:
    """待遇发放情况 in plain words: suspension, back pay, termination."""
    if entitlement is None:
        return {}
    return {
        "cycle_months": cycle_months(),
        # Suspended and resumed within one month: nothing was withheld.
        "back_pays": list(
            entitlement.back_pays.filter(months__gt=0).order_by("-created_at")[:5]
        ),
    }


@require_POST
@certifying_person_required
def switch_region(request: CertifyingRequest) -> HttpResponse:
    """用户切换: the regions where the certifying person is insured."""
    person = request.cert_person
    code = request.POST.get("region", "")
    regions = {region.code: region for region in person_regions(person)}
    if code not in regions:
        messages.error(request, "您在该参保地没有养老待遇记录。")
    else:
        request.session[SESSION_REGION] = code
        messages.success(request, f"已切换到 {regions[code].name}。")
    return redirect(safe_next(request, reverse("pensioner:centre")))


@personal_required
@require_POST
def act_as(request: AuthenticatedRequest) -> HttpResponse:
    """A personal account switches between itself and the family it helps."""
    target = parse_uuid(request.POST.get("person", ""))
    user = request.user
    if user.person is not None and target == user.person.public_id:
        request.session.pop(SESSION_PERSON, None)
    elif FamilyLink.objects.filter(account=user, person__public_id=target).exists():
        request.session[SESSION_PERSON] = str(target)
    else:
        messages.error(request, "只能为已添加的家人办理。")
        return redirect("pensioner:family")
    request.session.pop(SESSION_REGION, None)
    return redirect("pensioner:centre")


# ---------------------------------------------------------------- face certification


@require_safe
@certifying_person_required
def certify(request: CertifyingRequest) -> HttpResponse:
    """The camera check, then the camera session (all decisions on the server)."""
    person = request.cert_person
    context = _status_context(request, person)
    context["blocked"] = face_attempts.camera_blocked(person)
    context["review"] = face_attempts.open_review_today(person)
    context["other_channels"] = OTHER_CHANNELS
    context["office"] = (
        context["entitlement"].region if context["entitlement"] else None
    )
    context["enrolled"] = face_attempts.is_enrolled(person)
    context["notes"] = NOTES[:4]
    context["family_pending"] = request.session.get(SESSION_FAMILY_PENDING) == str(
        person.public_id
    )
    return render(request, "pensioner/certify.html", context)


def _login_required() -> JsonResponse:
    """The login ran out mid-page: say so and where to log in again, so the
    page can lead back to 资格认证登记 and then here."""
    login = reverse("pensioner:cert-login")
    return JsonResponse(
        {
            "error": "login_required",
            "message": "登录已过期，请重新进行资格认证登记，登记后会回到本页面。",
            "login_url": f"{login}?next={reverse('pensioner:certify')}",
        },
        status=401,
    )


def _json_error(exc: face_sessions.FaceSessionError) -> JsonResponse:
    return JsonResponse({"error": exc.code, "message": exc.message}, status=exc.status)


def _server_timed(response: JsonResponse, began: float) -> JsonResponse:
    """Say how long the server worked on a camera request (``Server-Timing``):
    the page takes it from the request's time to learn what its line carries
    (static/js/camera.js, ``measure``). Timed from after the body was read, so
    the upload stays on the line's side."""
    ms = (time.perf_counter() - began) * 1000
    response["Server-Timing"] = f"app;dur={ms:.1f}"
    return response


SESSION_NOT_FOUND = "未找到这次人脸认证，请回到资格认证页面重新开始。"


def _camera_session(request: HttpRequest, public_id: str) -> FaceSession | JsonResponse:
    """The certifying person's face session for the camera's posts, else the
    JSON the page shows: 401 to log in again, 404 (someone else's session or
    a bad id; nothing said about it) in the camera's error shape."""
    try:
        session = certifying_face_session(request, public_id)
    except Http404:
        return JsonResponse(
            {"error": "not_found", "message": SESSION_NOT_FOUND}, status=404
        )
    return _login_required() if session is None else session


@require_POST
def session_start(request: HttpRequest) -> JsonResponse:
    person = certifying_person(request)
    if person is None:
        return _login_required()
    began = time.perf_counter()
    try:
        session = face_sessions.start_session(
            person=person,
            entitlement=person_entitlement(request, person),
            account=request.user,
            ip=client_ip(request),
        )
    except face_sessions.FaceSessionError as exc:
        return _json_error(exc)
    started = request.session.get(FACE_SESSIONS_KEY, [])[-4:]
    request.session[FACE_SESSIONS_KEY] = [*started, str(session.public_id)]
    payload = face_sessions.start_payload(session)
    payload["frame_url"] = reverse("pensioner:session-frame", args=[session.public_id])
    payload["finish_url"] = reverse(
        "pensioner:session-finish", args=[session.public_id]
    )
    payload["result_url"] = reverse(
        "pensioner:session-result", args=[session.public_id]
    )
    payload["max_frame_bytes"] = settings.FACE_MAX_FRAME_BYTES
    return _server_timed(JsonResponse(payload, status=201), began)


_IMAGE_MAGIC = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n")


def _frame_response(
    request: HttpRequest, outcome: face_sessions.FrameOutcome
) -> JsonResponse:
    progress = outcome.to_json()
    session = outcome.session
    verdict = outcome.progress.verdict
    if verdict is not None:
        progress["result_url"] = reverse(
            "pensioner:session-result", args=[session.public_id]
        )
        pending = request.session.get(SESSION_FAMILY_PENDING)
        if (
            verdict.passed
            and _is_personal(request)
            and pending == str(session.person.public_id)
        ):
            face_sessions.link_family_member(
                account=request.user,
                person=session.person,
                session=session,
                ip=client_ip(request),
            )
            request.session.pop(SESSION_FAMILY_PENDING, None)
    return JsonResponse(progress)


def _too_large(limit: int) -> JsonResponse:
    return JsonResponse(
        {
            "error": "too_large",
            "message": f"图像太大（超过 {limit // 1024} KB），请刷新页面后重试。",
        },
        status=413,
    )


def _client_time(raw: str | None) -> float | None:
    try:
        return float(raw) if raw else None
    except ValueError:
        return None


@require_POST
def session_frame(request: HttpRequest, public_id: str) -> JsonResponse:
    """Camera frames: one raw JPEG body (``X-Frame-Time``), or on a slow line
    several as multipart ``frame`` files with their ``ts`` fields, oldest
    first. Refused for another person's session, a finished or expired one,
    an oversized or non-image body, more frames than FACE_MAX_BATCH_FRAMES."""
    session = _camera_session(request, public_id)
    if isinstance(session, JsonResponse):
        return session
    limit = settings.FACE_MAX_FRAME_BYTES
    most = settings.FACE_MAX_BATCH_FRAMES
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    batch = request.content_type == "multipart/form-data"
    allowed = limit * most + 64 * 1024 if batch else limit  # 64 KB: the form's parts
    if declared > allowed:
        return _too_large(limit)
    if batch:
        uploads = request.FILES.getlist("frame")
        times = request.POST.getlist("ts")
        if not 1 <= len(uploads) <= most or len(times) not in (0, len(uploads)):
            return JsonResponse(
                {
                    "error": "bad_batch",
                    "message": f"每次最多上传 {most} 帧图像，请刷新页面后重试。",
                },
                status=400,
            )
        frames = [upload.read() for upload in uploads]
        stamps = [_client_time(t) for t in times] or [None] * len(frames)
    else:
        frames = [request.body]
        stamps = [_client_time(request.headers.get("X-Frame-Time"))]
    if any(len(frame) > limit for frame in frames):
        return _too_large(limit)
    if not all(frame.startswith(_IMAGE_MAGIC) for frame in frames):
        return JsonResponse(
            {
                "error": "bad_image",
                "message": "收到的不是 JPEG 或 PNG 图像，请刷新页面后重试。",
            },
            status=415,
        )
    began = time.perf_counter()
    try:
        outcome = face_sessions.submit_frames(
            session=session,
            frames=list(zip(frames, stamps, strict=True)),
            acting_user=request.user,
            ip=client_ip(request),
        )
    except face_sessions.FaceSessionError as exc:
        return _server_timed(_json_error(exc), began)
    return _server_timed(_frame_response(request, outcome), began)


@require_POST
def session_finish(request: HttpRequest, public_id: str) -> JsonResponse:
    session = _camera_session(request, public_id)
    if isinstance(session, JsonResponse):
        return session
    try:
        outcome = face_sessions.finish_session(
            session=session, acting_user=request.user, ip=client_ip(request)
        )
    except face_sessions.FaceSessionError as exc:
        return _json_error(exc)
    return _frame_response(request, outcome)


@require_safe
@certifying_person_required
def session_result(request: CertifyingRequest, public_id: str) -> HttpResponse:
    person = request.cert_person
    session = access_face_session(request, person, public_id)
    if session.status == FaceSession.Status.OPEN:
        return redirect("pensioner:certify")
    code = session.verdict or "expired"
    certification = session.certification
    # The new due date, from the entitlement this certification renewed.
    renewed = certification.entitlement if certification else None
    due = due_date(renewed) if renewed else None
    return render(
        request,
        "pensioner/result.html",
        {
            "session": session,
            "code": code,
            "message": face_sessions.verdict_message(code),
            "certification": certification,
            "due": due,
            "office": session.region,
            "blocked": face_attempts.camera_blocked(person),
            "tries_left": face_attempts.tries_left(person),
            "counted": face_attempts.counted(session),
            "review": face_attempts.open_review_today(person),
            "other_channels": OTHER_CHANNELS,
            "person": person,
        },
    )


# ---------------------------------------------------------------- history / family


@require_safe
@certifying_person_required
def history(request: CertifyingRequest) -> HttpResponse:
    """养老退休认证信息查询: 10 a page with the guide's pager text."""
    person = request.cert_person
    records = (
        Certification.objects.filter(person=person)
        .select_related("region")
        .order_by("-certified_at", "-id")
    )
    pager = paginate(request, records)
    rows = [
        (pager.first + index, record)
        for index, record in enumerate(pager.page.object_list)
    ]
    return render(
        request,
        "pensioner/history.html",
        {"person": person, "pager": pager, "rows": rows},
    )


def _family_rows(account: Any) -> list[dict[str, Any]]:
    links = FamilyLink.objects.filter(account=account).select_related("person")
    persons = [link.person for link in links]
    entitlements: dict[int, list[Entitlement]] = {}
    for entitlement in (
        Entitlement.objects.filter(person__in=persons)
        .select_related("region")
        .order_by("region__code")
    ):
        entitlements.setdefault(entitlement.person_id, []).append(entitlement)
    return [
        {
            "person": person,
            "entitlements": [
                {"entitlement": e, "due": due_date(e)}
                for e in entitlements.get(person.pk, [])
            ],
        }
        for person in persons
    ]


@personal_required
@require_form
def family(request: AuthenticatedRequest) -> HttpResponse:
    """家属协助: the family members this account helps, and adding one."""
    form = forms.FamilyAddForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            person = services.find_registered_person(
                name=form.cleaned_data["name"],
                ssn=form.cleaned_data["ssn"],
                ip=client_ip(request),
            )
        except services.CertificationError as exc:
            form.add_error(None, exc.message)
        else:
            if person.pk == request.user.person_id:
                form.add_error(None, "这是您本人，无需添加。")
            elif FamilyLink.objects.filter(
                account=request.user, person=person
            ).exists():
                form.add_error(None, "已添加过这位家人。")
            else:
                # The link is made only after the family member's own face passes.
                request.session[SESSION_FAMILY_PENDING] = str(person.public_id)
                request.session[SESSION_PERSON] = str(person.public_id)
                request.session.pop(SESSION_REGION, None)
                messages.info(
                    request,
                    f"请让 {person.name} 本人面对摄像头完成一次人脸认证，"
                    "认证成功后即添加为您协助的家人，这次认证也记为TA本期的资格认证。",
                )
                return redirect("pensioner:certify")
    return render(
        request,
        "pensioner/family.html",
        {"form": form, "rows": _family_rows(request.user)},
    )


@personal_required
@require_POST
def family_cancel(request: AuthenticatedRequest) -> HttpResponse:
    """取消添加: give up adding a family member; the browser acts for oneself again."""
    pending = request.session.pop(SESSION_FAMILY_PENDING, None)
    if pending is not None and request.session.get(SESSION_PERSON) == pending:
        request.session.pop(SESSION_PERSON, None)
        request.session.pop(SESSION_REGION, None)
        messages.info(request, "已取消添加家人。")
    return redirect("pensioner:family")


# ---------------------------------------------------------------- receipts


@require_safe
@certifying_person_required
def receipt_pdf(request: CertifyingRequest, public_id: str) -> HttpResponseBase:
    person = request.cert_person
    certification = access_certification(person, public_id)
    if not certification.receipt_code:
        # A certification carried over from the old system (历史数据迁移) has no
        # receipt: nothing was certified here that a code could vouch for.
        raise Http404("这条认证记录没有回执。")
    verify_url = request.build_absolute_uri(
        reverse("pensioner:receipt-verify") + f"?code={certification.receipt_code}"
    )
    # Named by the pensioner's day (Asia/Shanghai), not the UTC one.
    day = timezone.localtime(certification.certified_at).strftime("%Y%m%d")
    return download(
        request,
        lambda: receipts.render_receipt(certification, verify_url),
        content_type="application/pdf",
        filename=f"receipt-{day}.pdf",
    )


@require_safe
def receipt_verify(request: HttpRequest) -> HttpResponse:
    """自助打印单据验证: public; a valid code shows masked facts, else not found."""
    form = forms.ReceiptVerifyForm(request.GET or None)
    result = None
    searched = False
    if request.GET and form.is_valid():
        searched = True
        certification = receipts.find_by_code(form.cleaned_data["code"])
        result = receipts.public_view(certification) if certification else None
    return render(
        request,
        "pensioner/receipt_verify.html",
        {"form": form, "result": result, "searched": searched},
    )
