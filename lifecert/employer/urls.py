from django.urls import path

from . import reminders, views

app_name = "employer"
urlpatterns = [
    path("", views.index, name="index"),
    path("certify/", views.certify_start, name="certify"),
    path("certify/guide/", views.guide, name="guide"),
    path("certify/guide/form.xlsx", views.guide_form, name="guide-form"),
    path("certify/commitment/", views.commitment, name="commitment"),
    path("certify/list/", views.certify_list, name="certify-list"),
    path("certify/select/", views.certify_select, name="certify-select"),
    path("certify/confirm/", views.certify_confirm, name="certify-confirm"),
    path("certify/save/", views.certify_save, name="certify-save"),
    path("certify/export/", views.certify_export, name="certify-export"),
    path("roster/", views.roster, name="roster"),
    path("roster/export/", views.roster_export, name="roster-export"),
    path(
        "roster/reminders/export/",
        reminders.reminder_export,
        name="reminder-export",
    ),
    path("query/", views.query, name="query"),
    path("query/<uuid:public_id>/", views.query_person, name="query-person"),
    path("history/export/", views.history_export, name="history-export"),
]
