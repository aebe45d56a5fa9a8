from django.urls import path

from . import views

app_name = "pensioner"
urlpatterns = [
    path("", views.centre, name="centre"),
    path("certify/login/", views.cert_login, name="cert-login"),
    path("receipts/verify/", views.receipt_verify, name="receipt-verify"),
]
