from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from lifecert.notices import views as notices_views

urlpatterns = [
    path("", notices_views.home, name="home"),
    path("accounts/", include("lifecert.accounts.urls")),
    path("personal/", include("lifecert.pensioner.urls")),
    path("unit/", include("lifecert.employer.urls")),
    path("backoffice/api-tokens/", include("lifecert.api.staff_urls")),
    path("backoffice/", include("lifecert.backoffice.urls")),
    path("notices/", include("lifecert.notices.urls")),
    path("api/v1/", include("lifecert.api.urls")),
    # The admin's own password change checks the old password with
    # check_password(), outside django-axes (no count, no lock) and writes no
    # audit row: staff change theirs on 修改密码, like every account.
    path(
        "admin/password_change/",
        RedirectView.as_view(pattern_name="accounts:password"),
        name="admin-password-change",
    ),
    path("admin/", admin.site.urls),
]
