"""Subscriber pages. SCAFFOLD: replaced by the consent-core work (issue 4)."""

from django.http import Http404, HttpRequest, HttpResponse


def _pending(request: HttpRequest, **kwargs: object) -> HttpResponse:
    raise Http404


preference_center = hosted_page = direct_link = one_click = pixel = _pending
