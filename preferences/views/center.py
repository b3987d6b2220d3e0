"""Preference center. SCAFFOLD: replaced by issue 5's work."""

from django.http import Http404, HttpRequest, HttpResponse


def preference_center(request: HttpRequest, token: str) -> HttpResponse:
    raise Http404
