from django.urls import path

from . import staff_views

app_name = "api-tokens"
urlpatterns = [
    path("", staff_views.token_list, name="list"),
    path("<uuid:public_id>/rotate/", staff_views.token_rotate, name="rotate"),
    path("<uuid:public_id>/revoke/", staff_views.token_revoke, name="revoke"),
]
