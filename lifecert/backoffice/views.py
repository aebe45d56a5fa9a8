"""Staff back office: the dashboard and persons (search, page, reference photo,
counter certification). Units: ``unit_views``; the cycle: ``cycle_views``;
imports, reviews and the audit log: ``case_views``."""

from urllib.parse import urlencode

from django.contrib import messages
from django.db.models import Q
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from lifecert.accounts.access import (
    AuthenticatedRequest,
    parse_uuid,
    staff_required,
)
from lifecert.accounts.models import User
from lifecert.certification import enrolment
from lifecert.certification.access import (
    back_pays_for_staff,
    death_cases_for_staff,
    overpayments_for_staff,
)
from lifecert.certification.models import (
    Overpayment,
)
from lifecert.certification.services import (
    record_certification,
)
from lifecert.core.audit import client_ip
from lifecert.core.methods import require_form, require_safe
from lifecert.core.once import submit_once
from lifecert.core.pagination import paginate
from lifecert.core.searches import keep_search, kept_search
from lifecert.registry.access import (
    access_person,
    persons_for_staff,
    staff_regions,
)
from lifecert.registry.ids import compact
from lifecert.reminders.models import Reminder

from . import dashboard, forms


@staff_required
@require_safe
def index(request: AuthenticatedRequest) -> HttpResponse:
    """Dashboard: figures linked to their lists, and charts (the staff's regions)."""
    return render(request, "backoffice/index.html", dashboard.dashboard(request.user))


@staff_required
@require_form
def person_list(request: AuthenticatedRequest) -> HttpResponse:
    """参保人 by name or social security number: the search is POSTed and kept in
    the session, so the number never appears in a URL."""
    if request.method == "POST":
        params = keep_search(
            request.session, "backoffice:persons", request.POST, ("q",)
        )
        query = urlencode(params)
        return redirect(
            reverse("backoffice:person-list") + (f"?{query}" if query else "")
        )
    form = forms.SearchForm(kept_search(request, "backoffice:persons") or None)
    people = persons_for_staff(request.user).order_by("id")
    q = form.cleaned_data["q"].strip() if form.is_valid() else ""
    if q:
        people = people.filter(Q(ssn=compact(q)) | Q(name=q))
    return render(
        request,
        "backoffice/person_list.html",
        {"form": form, "pager": paginate(request, people)},
    )


@staff_required
@require_safe
def person_detail(request: AuthenticatedRequest, public_id: str) -> HttpResponse:
    person = access_person(request.user, parse_uuid(public_id))
    regions = staff_regions(request.user)
    entitlements = person.entitlements.filter(region__in=regions).select_related(
        "region", "unit"
    )
    return render(
        request,
        "backoffice/person_detail.html",
        {
            "person": person,
            "entitlements": entitlements,
            "certifications": person.certifications.filter(region__in=regions)
            .select_related("region")
            .order_by("-certified_at")[:10],
            "templates": person.face_templates.order_by("-created_at"),
            "back_pays": back_pays_for_staff(request.user)
            .filter(entitlement__person=person)
            .order_by("-created_at"),
            "overpayments": overpayments_for_staff(request.user)
            .filter(entitlement__person=person)
            .order_by("-created_at"),
            "death_cases": death_cases_for_staff(request.user)
            .filter(person=person)
            .order_by("-created_at"),
            "status_choices": Overpayment.Status.choices,
            "photo_form": forms.PhotoForm(),
            "accounts": person.accounts.filter(kind=User.Kind.PERSONAL).order_by("id"),
            "reminders": Reminder.objects.filter(
                entitlement__person=person, region__in=regions
            )
            .select_related("region")
            .order_by("-due_on")[:5],
        },
    )


@staff_required
@require_POST
def person_photo(request: AuthenticatedRequest, public_id: str) -> HttpResponse:
    person = access_person(request.user, parse_uuid(public_id))
    form = forms.PhotoForm(request.POST, request.FILES)
    if not form.is_valid():
        for error in form.errors.get("photo", []):
            messages.error(request, f"建模照片：{error}")
        return redirect("backoffice:person-detail", public_id=person.public_id)
    upload = form.cleaned_data["photo"]
    back = redirect("backoffice:person-detail", public_id=person.public_id)
    # Files are not compared: another photo soon after is a new enrolment.
    with submit_once(request, "backoffice.photo", same_content=False) as submit:
        if submit.repeated:
            return submit.answer(request, "照片已上传，建模结果见本页。")
        try:
            template = enrolment.enrol_photo(
                person=person,
                photo=upload.read(),
                content_type=upload.content_type or "image/jpeg",
                acting_user=request.user,
                ip=client_ip(request),
            )
        except enrolment.EnrolmentRefused as exc:
            messages.error(request, exc.message)
            return back
        if template.status == template.Status.FAILED:
            messages.error(
                request, f"照片已保存，但无法建模：{template.failure_reason}"
            )
        elif template.status == template.Status.READY:
            messages.success(request, "建模成功。")
        else:
            messages.info(request, "照片已保存，人脸引擎就绪后自动建模。")
        return submit.done(back)


@staff_required
@require_POST
def person_certify(request: AuthenticatedRequest, public_id: str) -> HttpResponse:
    """Record a counter (窗口) or home-visit (上门) certification."""
    person = access_person(request.user, parse_uuid(public_id))
    form = forms.CounterCertificationForm(request.POST)
    if not form.is_valid():
        messages.error(request, "请选择认证方式。")
        return redirect("backoffice:person-detail", public_id=person.public_id)
    entitlement = (
        person.entitlements.filter(
            public_id=form.cleaned_data["entitlement"],
            region__in=staff_regions(request.user),
        )
        .select_related("region")
        .first()
    )
    if entitlement is None:
        messages.error(request, "该养老待遇不存在或不在您的管辖范围。")
        return redirect("backoffice:person-detail", public_id=person.public_id)
    try:
        _, resumption = record_certification(
            entitlement=entitlement,
            channel=form.cleaned_data["channel"],
            acting_user=request.user,
            operator_name=request.user.display_name or request.user.get_username(),
            evidence={"note": form.cleaned_data["note"]},
            ip=client_ip(request),
            once_a_day=True,
        )
    except ValueError as exc:
        messages.error(request, str(exc))
    else:
        text = f"已记录 {entitlement.region.name} 的资格认证。"
        if resumption:
            text += (
                f"待遇已恢复，补发 {resumption.months} 个月共 {resumption.amount} 元。"
            )
        messages.success(request, text)
    return redirect("backoffice:person-detail", public_id=person.public_id)
