from django.urls import path

from . import views

app_name = "pensioner"
urlpatterns = [
    path("", views.centre, name="centre"),
    path("certify/login/", views.cert_login, name="cert-login"),
    path("certify/logout/", views.cert_logout, name="cert-logout"),
    path("switch/", views.switch_region, name="region-switch"),
    path("act-as/", views.act_as, name="act-as"),
    path("certify/", views.certify, name="certify"),
    path("certify/sessions/", views.session_start, name="session-start"),
    path(
        "certify/sessions/<uuid:public_id>/frames/",
        views.session_frame,
        name="session-frame",
    ),
    path(
        "certify/sessions/<uuid:public_id>/finish/",
        views.session_finish,
        name="session-finish",
    ),
    path(
        "certify/sessions/<uuid:public_id>/",
        views.session_result,
        name="session-result",
    ),
    path("history/", views.history, name="history"),
    path("family/", views.family, name="family"),
    path("family/cancel/", views.family_cancel, name="family-cancel"),
    path("receipts/<uuid:public_id>.pdf", views.receipt_pdf, name="receipt"),
    path("receipts/verify/", views.receipt_verify, name="receipt-verify"),
]
