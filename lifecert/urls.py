from django.contrib import admin
from django.urls import include, path

from lifecert.core import views as core_views

urlpatterns = [
    path("", core_views.home, name="home"),
    path("accounts/", include("lifecert.accounts.urls")),
    path("personal/", include("lifecert.pensioner.urls")),
    path("unit/", include("lifecert.employer.urls")),
    path("backoffice/", include("lifecert.backoffice.urls")),
    path("admin/", admin.site.urls),
]
