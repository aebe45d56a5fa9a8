from django.urls import path

from . import oidc, views

app_name = "accounts"
urlpatterns = [
    path("personal/login/", views.personal_login, name="personal-login"),
    path("personal/register/", views.personal_register, name="personal-register"),
    path("personal/reclaim/", views.personal_reclaim, name="personal-reclaim"),
    path(
        "personal/reclaim/finish/",
        views.personal_reclaim_finish,
        name="personal-reclaim-finish",
    ),
    path("unit/login/", views.unit_login, name="unit-login"),
    path("unit/register/", views.unit_register, name="unit-register"),
    path("unit/", views.unit_home, name="unit-home"),
    path("unit/bind/code/", views.unit_bind_code, name="unit-bind-code"),
    path("unit/bind/old/", views.unit_bind_old, name="unit-bind-old"),
    path(
        "unit/bindings/<uuid:public_id>/",
        views.unit_binding_edit,
        name="unit-binding-edit",
    ),
    path("unit/switch/", views.unit_switch, name="unit-switch"),
    path("staff/login/", views.staff_login, name="staff-login"),
    path("logout/", views.logout_view, name="logout"),
    # 统一身份认证 (OpenID Connect): the button, and the provider's answer.
    path("oidc/<str:kind>/start/", oidc.oidc_start, name="oidc-start"),
    path("oidc/callback/", oidc.CallbackView.as_view(), name="oidc-callback"),
    path("unit/sso/link/", oidc.unit_link, name="unit-sso-link"),
    path("password/", views.change_password, name="password"),
    path("password/forgot/", views.password_forgot, name="password-forgot"),
]
