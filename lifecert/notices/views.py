"""Portal notices: the public list and detail, and staff's publishing pages."""

import io

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from lifecert.accounts.access import AuthenticatedRequest, staff_required
from lifecert.core.audit import client_ip
from lifecert.core.methods import download, require_form, require_safe
from lifecert.core.once import submit_once
from lifecert.core.pagination import paginate

from . import forms, services
from .access import (
    access_attachment_notice,
    access_notice_for_staff,
    access_visible_notice,
    latest_notices,
    notices_for_staff,
    visible_notices,
)
from .models import Notice


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    """Portal home: the two entries 个人服务 and 单位服务, and the newest
    政策解读 / 工作动态 / 公示公告."""
    return render(request, "core/home.html", {"notice_columns": latest_notices()})


@require_safe
def notice_list(request: HttpRequest) -> HttpResponse:
    """政策解读 / 工作动态 / 公示公告: published notices by category and region."""
    form = forms.NoticeFilterForm(request.GET or None)
    category, region_code = "", ""
    if form.is_valid():
        category = form.cleaned_data["category"]
        region = form.cleaned_data["region"]
        region_code = region.code if region else ""
    pager = paginate(
        request, visible_notices(region_code=region_code, category=category)
    )
    title = Notice.Category(category).label if category else "通知公告"
    return render(
        request,
        "notices/list.html",
        {"form": form, "pager": pager, "title": title},
    )


@require_safe
def notice_detail(request: HttpRequest, public_id: str) -> HttpResponse:
    notice = access_visible_notice(public_id)
    return render(request, "notices/detail.html", {"notice": notice})


@require_safe
def notice_attachment(request: HttpRequest, public_id: str) -> HttpResponseBase:
    """The attachment, as a download (never shown inline: nosniff + attachment)."""
    notice = access_attachment_notice(request.user, public_id)
    if not notice.attachment_name:
        raise Http404("该公告没有附件。")
    return download(
        request,
        lambda: io.BytesIO(bytes(notice.attachment_data)),
        content_type=notice.attachment_type,
        filename=notice.attachment_name,
    )


@staff_required
@require_safe
def manage_list(request: AuthenticatedRequest) -> HttpResponse:
    """公告管理: the notices this staff member manages, with their state."""
    pager = paginate(request, notices_for_staff(request.user))
    return render(request, "notices/manage_list.html", {"pager": pager})


def _form_page(
    request: AuthenticatedRequest, form: forms.NoticeForm, notice: Notice | None
) -> HttpResponse:
    return render(
        request,
        "notices/manage_form.html",
        {"form": form, "notice": notice, "title": "修改公告" if notice else "发布公告"},
    )


@staff_required
@require_form
def manage_create(request: AuthenticatedRequest) -> HttpResponse:
    form = forms.NoticeForm(
        request.POST or None, request.FILES or None, user=request.user
    )
    if request.method == "POST" and form.is_valid():
        with submit_once(request, "notices.create") as submit:
            if submit.repeated:
                return submit.answer(request, "公告已保存，见下方列表。")
            try:
                notice = services.publish_notice(
                    acting_user=request.user,
                    fields=form.notice_fields(),
                    attachment=form.cleaned_data["attachment"],
                    ip=client_ip(request),
                )
            except services.NoticeError as exc:
                form.add_error(exc.field, exc.message)
            else:
                messages.success(
                    request, f"公告“{notice.title}”已保存，{_when(notice)}。"
                )
                return submit.done(redirect("notices:manage"))
    return _form_page(request, form, None)


@staff_required
@require_form
def manage_edit(request: AuthenticatedRequest, public_id: str) -> HttpResponse:
    notice = access_notice_for_staff(request.user, public_id)
    form = forms.NoticeForm(
        request.POST or None, request.FILES or None, user=request.user, notice=notice
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.update_notice(
                acting_user=request.user,
                notice=notice,
                fields=form.notice_fields(),
                attachment=form.cleaned_data["attachment"],
                remove_attachment=bool(form.cleaned_data.get("remove_attachment")),
                ip=client_ip(request),
            )
        except services.NoticeError as exc:
            form.add_error(exc.field, exc.message)
        else:
            messages.success(request, f"公告“{notice.title}”已修改，{_when(notice)}。")
            return redirect("notices:manage")
    return _form_page(request, form, notice)


@staff_required
@require_POST
def manage_withdraw(request: AuthenticatedRequest, public_id: str) -> HttpResponse:
    notice = access_notice_for_staff(request.user, public_id)
    services.withdraw_notice(
        acting_user=request.user, notice=notice, ip=client_ip(request)
    )
    messages.success(request, f"公告“{notice.title}”已撤回，门户不再显示。")
    return redirect("notices:manage")


def _when(notice: Notice) -> str:
    state = notice.state()
    if state == "待发布":
        return "将于发布时间起在门户显示"
    if state == "已撤回":
        return "已撤回，门户不显示"
    return "已在门户显示"
