from django.urls import path

from . import (
    case_views,
    cycle_views,
    list_views,
    lists,
    registry_import,
    reminders,
    reviews,
    staff_accounts,
    unit_views,
    views,
)

app_name = "backoffice"
urlpatterns = [
    path("", views.index, name="index"),
    path("import/", registry_import.upload, name="import"),
    path("import/template.xlsx", registry_import.template, name="import-template"),
    path("import/<uuid:token>/", registry_import.preview, name="import-preview"),
    path(
        "import/<uuid:token>/confirm/",
        registry_import.confirm,
        name="import-confirm",
    ),
    path("persons/", views.person_list, name="person-list"),
    path("persons/<uuid:public_id>/", views.person_detail, name="person-detail"),
    path("persons/<uuid:public_id>/photo/", views.person_photo, name="person-photo"),
    path(
        "persons/<uuid:public_id>/certify/", views.person_certify, name="person-certify"
    ),
    path("units/", unit_views.unit_list, name="unit-list"),
    path("units/<uuid:public_id>/code/", unit_views.unit_code, name="unit-code"),
    path(
        "units/<uuid:public_id>/code/slip/",
        unit_views.unit_code_slip,
        name="unit-code-slip",
    ),
    path(
        "units/<uuid:public_id>/bindings/<uuid:binding_id>/revoke/",
        unit_views.unit_binding_revoke,
        name="unit-binding-revoke",
    ),
    path(
        "accounts/<uuid:public_id>/password-reset/",
        unit_views.account_password_reset,
        name="account-password-reset",
    ),
    path(
        "accounts/<uuid:public_id>/password-slip/",
        unit_views.account_password_slip,
        name="account-password-slip",
    ),
    path("reminders/", reminders.reminder_list, name="reminder-list"),
    path("reminders/export/", reminders.reminder_export, name="reminder-export"),
    path("staff/", staff_accounts.staff_list, name="staff-list"),
    path(
        "staff/<uuid:public_id>/password-reset/",
        staff_accounts.staff_password_reset,
        name="staff-password-reset",
    ),
    path(
        "staff/<uuid:public_id>/unlock/",
        staff_accounts.staff_unlock,
        name="staff-unlock",
    ),
    path(
        "staff/<uuid:public_id>/active/",
        staff_accounts.staff_active,
        name="staff-active",
    ),
    path("cycle/suspend/", cycle_views.run_suspensions, name="run-suspensions"),
    path(
        "cycle/suspend/export/",
        cycle_views.suspension_preview_export,
        name="suspension-preview-export",
    ),
    path("cycle/runs/", cycle_views.suspension_runs, name="suspension-runs"),
    path(
        "cycle/runs/<uuid:public_id>/",
        cycle_views.suspension_run,
        name="suspension-run",
    ),
    path(
        "cycle/runs/<uuid:public_id>/export/",
        cycle_views.suspension_run_export,
        name="suspension-run-export",
    ),
    *[
        route
        for prefix, spec in [
            ("money/back-pay", lists.LISTS["back-pay-list"]),
            ("money/overpayments", lists.LISTS["overpayment-list"]),
            ("lists/due", lists.LISTS["due-list"]),
            ("lists/overdue", lists.LISTS["overdue-list"]),
            ("lists/entitlements", lists.LISTS["entitlement-list"]),
            ("lists/certifications", lists.LISTS["certification-list"]),
            ("lists/cases", lists.LISTS["case-list"]),
        ]
        for route in (
            path(
                f"{prefix}/", list_views.work_list, {"name": spec.name}, name=spec.name
            ),
            path(
                f"{prefix}/export/",
                list_views.work_list_export,
                {"name": spec.name},
                name=spec.export_name,
            ),
        )
    ],
    path(
        "money/overpayments/<uuid:public_id>/status/",
        cycle_views.overpayment_status,
        name="overpayment-status",
    ),
    path("cases/", cycle_views.death_case_list, name="death-case-list"),
    path(
        "cases/<uuid:public_id>/close/",
        cycle_views.death_case_close,
        name="death-case-close",
    ),
    path("evidence/<slug:kind>/", case_views.evidence_import, name="evidence-import"),
    path("reviews/", case_views.review_queue, name="review-queue"),
    path("reviews/<uuid:public_id>/", reviews.review_detail, name="review-detail"),
    path(
        "reviews/<uuid:public_id>/frames/<int:index>/",
        reviews.review_frame,
        name="review-frame",
    ),
    path(
        "reviews/<uuid:public_id>/close/", case_views.review_close, name="review-close"
    ),
    path("audit/", case_views.audit_list, name="audit-list"),
    path("audit/export/", case_views.audit_export, name="audit-export"),
]
