"""The subscriber's language: `?lang=` wins over the browser's Accept-Language.

Links in mail may carry the language the mail was written in; a subscriber whose browser
says otherwise still gets the page in the language of the mail. Nothing is stored: no
cookie, no session, so one-click and the pixel stay cookie-free.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.http import HttpRequest, HttpResponse
from django.utils import translation

LANGUAGE_PARAMETER = "lang"


def activate_requested_language(request: HttpRequest) -> None:
    """Switch to the language named by `?lang=` when it is one we offer; else leave it."""
    code = request.GET.get(LANGUAGE_PARAMETER, "").strip()
    if not code:
        return
    try:
        language = translation.get_supported_language_variant(code)
    except LookupError:
        return
    translation.activate(language)
    request.LANGUAGE_CODE = language


def subscriber_language(
    view: Callable[..., HttpResponse],
) -> Callable[..., HttpResponse]:
    """Decorate a subscriber page so `?lang=` chooses its language."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        activate_requested_language(request)
        return view(request, *args, **kwargs)

    return wrapped
