from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from lifecert.accounts.access import staff_required


@staff_required
def index(request: HttpRequest) -> HttpResponse:
    return render(request, "backoffice/index.html")
