"""Mailer API. SCAFFOLD: replaced by the mailers work (issue 6)."""

from django.http import Http404, HttpRequest, HttpResponse
from django.urls import path


def _pending(request: HttpRequest, **kwargs: object) -> HttpResponse:
    raise Http404


urlpatterns = [
    path("lists/<uuid:list_uuid>/opt-outs/", _pending, name="report-opt-outs"),
    path("lists/<uuid:list_uuid>/scrub/", _pending, name="scrub"),
    path("lists/<uuid:list_uuid>/suppressions/<str:digest>/", _pending, name="download"),
]
