"""企业版 pages: 养老待遇资格认证登记(本地养老本地领取), 花名册, 查询, 导出 Excel."""

import io
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.db.models import F, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from lifecert.accounts.access import (
    AuthenticatedRequest,
    ViewFunc,
    bindings_of,
    current_binding,
    unit_required,
)
from lifecert.accounts.models import UnitBinding
from lifecert.certification import cycle
from lifecert.certification.cycle import due_date_of
from lifecert.core.audit import client_ip
from lifecert.core.methods import download, require_form, require_safe, spends
from lifecert.core.once import submit_once
from lifecert.core.pagination import paginate
from lifecert.core.searches import keep_search, kept_search
from lifecert.exports import reports
from lifecert.exports.application import write_application_form
from lifecert.exports.xlsx import CONTENT_TYPE as XLSX
from lifecert.exports.xlsx import Report
from lifecert.registry.models import Entitlement

from . import access, services
from .forms import ConfirmForm, QueryForm, RosterForm, SearchForm, SelectForm
from .selection import (
    choose_matching,
    clear_selection,
    get_selection,
    issue_confirmation,
    read_shown,
    sign_shown,
    take_confirmation,
    update_selection,
)


def binding_required(view: ViewFunc) -> ViewFunc:
    """A unit account with a bound unit number; the view gets the current binding.

    The account's bindings come with the account (``AccountBackend.get_user``),
    read once per request for the 多绑切换 menu of every page.
    """

    @unit_required
    @wraps(view)
    def wrapper(
        request: AuthenticatedRequest, *args: Any, **kwargs: Any
    ) -> HttpResponseBase:
        bindings = bindings_of(request.user)
        binding = current_binding(request, bindings)
        if binding is None:
            return redirect("accounts:unit-home")
        return view(request, binding, *args, **kwargs)

    return wrapper


def _context(
    request: AuthenticatedRequest, binding: UnitBinding, **extra: Any
) -> dict[str, Any]:
    return {
        "binding": binding,
        "unit": binding.unit,
        "bindings": bindings_of(request.user),
        **extra,
    }


SESSION_COMMITTED = "employer_committed"


def _committed(request: AuthenticatedRequest, binding: UnitBinding) -> bool:
    """has_current_commitment, remembered in the session once it holds.

    The key names the binding, its operator and the letter's version, so a new
    operator (修改绑定信息) or a new letter asks the database again; 保存
    always checks the database inside its transaction.
    """
    key = ":".join(
        (
            str(binding.public_id),
            binding.operator_name,
            settings.COMMITMENT_LETTER_VERSION,
        )
    )
    if request.session.get(SESSION_COMMITTED) == key:
        return True
    if services.has_current_commitment(binding):
        request.session[SESSION_COMMITTED] = key
        return True
    return False


SEARCH_FIELDS = ("name", "ssn")


def _search_key(page: str, binding: UnitBinding) -> str:
    return f"employer:{page}:{binding.public_id}"


def _list_url(
    request: HttpRequest,
    binding: UnitBinding,
    search: access.Search,
    page: int | None = None,
) -> str:
    """The list showing ``search`` (kept in the session: no ID number in the URL)."""
    params = keep_search(
        request.session, _search_key("list", binding), vars(search), SEARCH_FIELDS
    )
    if page and page > 1:
        params["page"] = str(page)
    return _with_query("employer:certify-list", params)


def _with_query(name: str, params: dict[str, str]) -> str:
    query = urlencode(params)
    return reverse(name) + (f"?{query}" if query else "")


def _list_search_form(request: HttpRequest, binding: UnitBinding) -> SearchForm:
    return SearchForm(kept_search(request, _search_key("list", binding)) or None)


# 选择全部符合查询条件的人员: up to MAX_SELECTED people the confirmation lists them
# all, as a selection; beyond, it shows the count and this many names.
CONFIRM_PREVIEW = 20

CERTIFIED_ONCE = "第一次提交的认证已保存，已认证的人员不再列在待认证名单中。"
STALE_CONFIRMATION = (
    "该确认页已提交过或已失效（例如按了“后退”后再次提交，或已打开了更新的确认页），"
    "本次提交没有认证任何人员。如需认证，请在列表中重新勾选并确认。"
)


@binding_required
@require_safe
def index(request: AuthenticatedRequest, binding: UnitBinding) -> HttpResponse:
    """社会保险公共服务系统 (单位版) home with the menus of the guide."""
    return render(request, "employer/index.html", _context(request, binding))


@binding_required
@require_safe
def certify_start(request: AuthenticatedRequest, binding: UnitBinding) -> HttpResponse:
    """养老待遇资格认证登记(本地养老本地领取): 办事指南 and 办结."""
    return render(
        request,
        "employer/certify_start.html",
        _context(request, binding, committed=_committed(request, binding)),
    )


@binding_required
@require_safe
def guide(request: AuthenticatedRequest, binding: UnitBinding) -> HttpResponse:
    """点击查看办事指南: conditions, materials, and the application form."""
    return render(request, "employer/guide.html", _context(request, binding))


@binding_required
@require_safe
def guide_form(request: AuthenticatedRequest, binding: UnitBinding) -> HttpResponseBase:
    """The application form, generated for the current unit."""

    def produce() -> io.BytesIO:
        buffer = io.BytesIO()
        write_application_form(
            unit=binding.unit, operator_name=binding.operator_name, target=buffer
        )
        buffer.seek(0)
        return buffer

    return download(
        request,
        produce,
        content_type=XLSX,
        filename=f"企业职工领取养老保险待遇资格认证申请表_{binding.unit.number}.xlsx",
    )


@binding_required
@require_form
def commitment(request: AuthenticatedRequest, binding: UnitBinding) -> HttpResponse:
    """网上办理企业养老保险资格认证业务承诺书 → 我已阅读并同意."""
    if request.method == "POST":
        if request.POST.get("agree") != "1":
            messages.error(request, "请阅读承诺书后点击“我已阅读并同意”。")
        else:
            services.accept_commitment(
                acting_user=request.user, binding=binding, ip=client_ip(request)
            )
            return redirect("employer:certify-list")
    return render(
        request,
        "employer/commitment.html",
        _context(
            request,
            binding,
            committed=services.has_current_commitment(binding),
            version=settings.COMMITMENT_LETTER_VERSION,
        ),
    )


@binding_required
@require_form
def certify_list(request: AuthenticatedRequest, binding: UnitBinding) -> HttpResponse:
    """养老金资格认证数据: normal pensioners not certified this month, 10 a page.

    Ticks shown here come from the session (已选), never from the browser's
    remembered form state; the form names the rows it displays, signed. The
    search (信息查询条件) is POSTed and kept in the session, never in the URL.
    """
    if not _committed(request, binding):
        return redirect("employer:commitment")
    if request.method == "POST":  # as typed: a partial number is explained
        params = keep_search(
            request.session, _search_key("list", binding), request.POST, SEARCH_FIELDS
        )
        return redirect(_with_query("employer:certify-list", params))
    form = _list_search_form(request, binding)
    search = form.search()
    pending: access.PendingList | list[access.PendingRow]
    if form.is_bound and "ssn" in form.errors:
        pending, reason = [], access.EMPTY_INCOMPLETE_ID
    else:
        pending = access.PendingList(binding.unit, search)
    pager = paginate(request, pending, count=len(pending))
    if isinstance(pending, access.PendingList):
        reason = pending.empty_reason()
    selection = get_selection(request.session, binding)
    chosen = set(selection.ids)
    rows = [(row, str(row.public_id) in chosen) for row in pager.page.object_list]
    return render(
        request,
        "employer/certify_list.html",
        _context(
            request,
            binding,
            form=form,
            search=search,
            pager=pager,
            rows=rows,
            reason=reason,
            selected_count=len(selection),
            selected_elsewhere=len(selection) - sum(ticked for _, ticked in rows),
            shown=sign_shown(binding, [row.public_id for row, _ in rows]),
        ),
    )


@binding_required
@require_POST
def certify_select(request: AuthenticatedRequest, binding: UnitBinding) -> HttpResponse:
    """The list form: keep this page's ticks (已选), then page, clear or 保存.

    A tick counts only for a row the page displayed (its signed ``shown``
    list); anything else refuses the whole form and changes nothing.
    """
    if not _committed(request, binding):
        return redirect("employer:commitment")
    form = SelectForm(request.POST)
    search = SearchForm(request.POST).search()
    if not form.is_valid():
        for error in form.non_field_errors() or ["提交的内容有误，未做任何更改。"]:
            messages.error(request, error)  # type: ignore[arg-type]  # ErrorList iterates as messages, not ValidationError
        return redirect(_list_url(request, binding, search))
    data = form.cleaned_data
    here = data.get("page")
    shown = read_shown(binding, data["shown"])
    if shown is None or not form.ticked <= shown:
        messages.error(
            request,
            "勾选的人员与页面显示的名单不符（页面可能已过期），未做任何更改，"
            "请在当前列表中重新勾选。",
        )
        return redirect(_list_url(request, binding, search, here))
    if data.get("action") == SelectForm.ACTION_CLEAR:
        clear_selection(request.session, binding)
        messages.info(request, "已清空所选人员。")
        return redirect(_list_url(request, binding, search, here))
    selection, over = update_selection(
        request.session,
        binding,
        shown=shown,
        ticked=form.ticked,
        limit=services.MAX_SELECTED,
    )
    if over:
        messages.warning(
            request,
            f"一次最多选择 {services.MAX_SELECTED} 人，超出的勾选未加入已选；"
            "更多人员请使用“选择全部符合查询条件的人员”。",
        )
    if data.get("action") == SelectForm.ACTION_SAVE:
        if not form.select_all and not selection:
            messages.error(request, "请先勾选需要做资格认证的员工。")
            return redirect(_list_url(request, binding, search, here))
        choose_matching(
            request.session,
            binding,
            search if form.select_all else None,
            origin=search,
        )
        return redirect("employer:certify-confirm")
    return redirect(_list_url(request, binding, search, data.get("goto") or here))


@binding_required
@require_safe
def certify_confirm(
    request: AuthenticatedRequest, binding: UnitBinding
) -> HttpResponse:
    """确认认证名单: the names and masked numbers 保存 will attest, and who not.

    Showing it stores a one-time token with exactly the people shown (or, for
    more than a page can list, their count and fingerprint); only that token
    lets 确认认证 certify, and only those people.
    """
    if not _committed(request, binding):
        return redirect("employer:commitment")
    selection = get_selection(request.session, binding)
    if selection.matching is not None:
        review = access.review_matching(
            binding.unit,
            selection.matching,
            limit=services.MAX_SELECTED,
            preview=CONFIRM_PREVIEW,
        )
    else:
        review = access.review_selection(binding.unit, selection.ids)
    # A HEAD issues none: it would make the page open in the browser stale.
    confirmation = (
        issue_confirmation(request.session, binding, review, origin=selection.origin)
        if review.total and spends(request)
        else None
    )
    return render(
        request,
        "employer/certify_confirm.html",
        _context(
            request,
            binding,
            review=review,
            confirmation=confirmation,
            back=_list_url(request, binding, selection.origin),
        ),
    )


@binding_required
@require_POST
def certify_save(request: AuthenticatedRequest, binding: UnitBinding) -> HttpResponse:
    """确认认证: certify exactly the people of the confirmation, once.

    The same page sent again (a double click, Back and send) lands on the
    list the first one landed on, with 已提交过, instead of the stale-page error.
    """
    with submit_once(request, "employer.certify") as submit:
        if submit.repeated:
            return submit.answer(request, CERTIFIED_ONCE)
        form = ConfirmForm(request.POST)
        confirmation = (
            take_confirmation(request.session, binding, form.cleaned_data["token"])
            if form.is_valid()
            else None
        )
        if confirmation is None:
            messages.error(request, STALE_CONFIRMATION)
            return redirect("employer:certify-list")
        back = redirect(_list_url(request, binding, confirmation.origin))
        try:
            result = services.certify_pensioners(
                acting_user=request.user,
                binding=binding,
                entitlement_ids=confirmation.entitlement_ids(),
                search=confirmation.search,
                confirmed_digest=confirmation.digest,
                ip=client_ip(request),
            )
        except services.EmployerError as exc:
            messages.error(request, exc.message)
            if not services.has_current_commitment(binding):
                return redirect("employer:commitment")
            return back
        clear_selection(request.session, binding)
        level = messages.SUCCESS if result.saved else messages.WARNING
        messages.add_message(request, level, result.message())
        return submit.done(back)


def _xlsx_response(
    request: AuthenticatedRequest,
    binding: UnitBinding,
    report: Report,
    kind: str,
    criteria: dict[str, Any],
) -> HttpResponseBase:
    return download(
        request,
        lambda: services.export_report(
            acting_user=request.user,
            binding=binding,
            report=report,
            kind=kind,
            ip=client_ip(request),
            criteria=criteria,
        )[0],
        content_type=XLSX,
        filename=report.filename,
    )


@binding_required
@require_safe
def certify_export(
    request: AuthenticatedRequest, binding: UnitBinding
) -> HttpResponseBase:
    """导出 Excel of the current list (with the search applied), behind the letter."""
    if not _committed(request, binding):
        return redirect("employer:commitment")
    search = _list_search_form(request, binding).search()
    # Never certified first, as on the page, on SQLite and PostgreSQL alike.
    pending = access.pending_entitlements(binding.unit, search).order_by(
        F("last_certified_at").asc(nulls_first=True), "id"
    )
    report = reports.pending_list_report(pending, unit_number=binding.unit.number)
    return _xlsx_response(request, binding, report, "unit_list", search.as_params())


def _roster(
    binding: UnitBinding, form: RosterForm
) -> tuple[QuerySet[Entitlement], dict[str, str]]:
    """The roster the form asks for, and its criteria (for the page and the audit)."""
    which, sort = form.choice("status"), form.choice("sort")
    search = form.search()
    entitlements = access.roster_entitlements(binding.unit, which, search=search)
    if form.is_bound and "ssn" in form.errors:
        entitlements = entitlements.none()
    order = access.due_order() if sort == access.RosterSort.DUE else ("id",)
    criteria = {"status": which, "sort": sort, **search.as_params()}
    return entitlements.order_by(*order), {k: v for k, v in criteria.items() if v}


def _roster_form(request: HttpRequest, binding: UnitBinding) -> RosterForm:
    """The filter and order from the URL, the name and number from the session."""
    data = {
        **{
            name: request.GET[name]
            for name in ("status", "sort")
            if name in request.GET
        },
        **kept_search(request, _search_key("roster", binding)),
    }
    return RosterForm(data or None)


@binding_required
@require_form
def roster(request: AuthenticatedRequest, binding: UnitBinding) -> HttpResponse:
    """退休人员花名册: the unit's pensioners, searchable, filterable, sortable."""
    if request.method == "POST":
        params = {
            name: request.POST[name]
            for name in ("status", "sort")
            if request.POST.get(name)
        }
        params.update(
            keep_search(
                request.session,
                _search_key("roster", binding),
                request.POST,
                SEARCH_FIELDS,
            )
        )
        return redirect(_with_query("employer:roster", params))
    form = _roster_form(request, binding)
    entitlements, criteria = _roster(binding, form)
    pager = paginate(
        request,
        access.Windowed(
            entitlements,
            lambda rows: rows.select_related("person").annotate(
                channel=reports.last_channel()
            ),
        ),
    )
    today = timezone.localdate()
    for entitlement in pager.page.object_list:
        entitlement.next_due = due_date_of(entitlement)
        entitlement.due_in = cycle.due_soon_days(entitlement, today)
        entitlement.channel_label = reports.CHANNEL_LABELS.get(entitlement.channel, "")
    return render(
        request,
        "employer/roster.html",
        _context(
            request,
            binding,
            form=form,
            which=criteria.get("status", ""),
            sort=criteria.get("sort", ""),
            criteria=pager.querystring,  # filter, order and the search's key
            pager=pager,
            # 30 天内到期 of the whole unit, whatever the filter: the notice.
            due_soon=cycle.due_within(
                access.unit_entitlements(binding.unit), cycle.DUE_SOON_DAYS, today
            ).count(),
            due_soon_days=cycle.DUE_SOON_DAYS,
        ),
    )


@binding_required
@require_safe
def roster_export(
    request: AuthenticatedRequest, binding: UnitBinding
) -> HttpResponseBase:
    entitlements, criteria = _roster(binding, _roster_form(request, binding))
    report = reports.roster_report(entitlements, unit_number=binding.unit.number)
    return _xlsx_response(request, binding, report, "unit_roster", criteria)


@binding_required
@require_form
def query(request: AuthenticatedRequest, binding: UnitBinding) -> HttpResponse:
    """养老退休认证信息查询 by ID number, among the unit's own pensioners only.

    The number is POSTed and kept in the session; the result's pages are GETs.
    """
    key = _search_key("query", binding)
    if request.method == "POST":
        params = keep_search(request.session, key, request.POST, ("ssn",))
        return redirect(_with_query("employer:query", params))
    form = QueryForm(kept_search(request, key) or None)
    entitlement = None
    pager = None
    if form.is_valid():
        entitlement = (
            access.unit_entitlements(binding.unit)
            .filter(person__ssn=form.cleaned_data["ssn"])
            .select_related("person")
            .first()
        )
        if entitlement is None:
            form.add_error("ssn", "本单位没有该身份证号的退休人员，请核对后重新输入。")
        else:
            pager = paginate(
                request,
                access.query_certifications(binding.unit, entitlement.person.ssn),
            )
    return render(
        request,
        "employer/query.html",
        _context(request, binding, form=form, entitlement=entitlement, pager=pager),
    )


@binding_required
@require_safe
def query_person(
    request: AuthenticatedRequest, binding: UnitBinding, public_id: str
) -> HttpResponse:
    """The same query reached from the roster, by the pensioner's public id."""
    entitlement = access.access_entitlement(binding.unit, public_id)
    pager = paginate(
        request, access.query_certifications(binding.unit, entitlement.person.ssn)
    )
    return render(
        request,
        "employer/query.html",
        _context(
            request, binding, form=QueryForm(), entitlement=entitlement, pager=pager
        ),
    )


@binding_required
@require_safe
def history_export(
    request: AuthenticatedRequest, binding: UnitBinding
) -> HttpResponseBase:
    """导出 Excel: the certification history of all the unit's pensioners."""
    report = reports.history_report(
        access.unit_certifications(binding.unit), unit_number=binding.unit.number
    )
    return _xlsx_response(request, binding, report, "unit_history", {})
