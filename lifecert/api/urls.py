from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from . import pull, views

app_name = "api"
urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # Swagger UI from drf-spectacular-sidecar's local copy, its start-up script
    # served as a file (no inline script: django-csp).
    path(
        "docs/",
        SpectacularSwaggerSplitView.as_view(
            url_name="api:schema", template_name="api/swagger_ui.html"
        ),
        name="docs",
    ),
    path("status/", views.StatusView.as_view(), name="status"),
    path("evidence/", views.EvidencePushView.as_view(), name="evidence"),
    path("deaths/", views.DeathPushView.as_view(), name="deaths"),
    path("certifications/", pull.CertificationPull.as_view(), name="certifications"),
    path("suspensions/", pull.SuspensionPull.as_view(), name="suspensions"),
    path("resumptions/", pull.ResumptionPull.as_view(), name="resumptions"),
    path("overpayments/", pull.OverpaymentPull.as_view(), name="overpayments"),
]
