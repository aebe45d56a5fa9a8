from django.urls import path

from . import views

app_name = "notices"
urlpatterns = [
    path("", views.notice_list, name="list"),
    path("<uuid:public_id>/", views.notice_detail, name="detail"),
    path("<uuid:public_id>/attachment/", views.notice_attachment, name="attachment"),
    path("manage/", views.manage_list, name="manage"),
    path("manage/new/", views.manage_create, name="create"),
    path("manage/<uuid:public_id>/", views.manage_edit, name="edit"),
    path("manage/<uuid:public_id>/withdraw/", views.manage_withdraw, name="withdraw"),
]
