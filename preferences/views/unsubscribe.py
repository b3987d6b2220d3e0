"""Hosted page, direct link, one-click, pixel. SCAFFOLD: replaced by issue 4's work."""

from django.http import Http404, HttpRequest, HttpResponse


def _pending(request: HttpRequest, **kwargs: object) -> HttpResponse:
    raise Http404


hosted_page = direct_link = one_click = pixel = _pending
