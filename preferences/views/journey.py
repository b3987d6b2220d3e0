"""Customer-managed one-click endpoint of a journey platform integration.

The platform (Adobe Journey Optimizer, "Customer managed") puts this URL in its
List-Unsubscribe header and in its one-click opt-out links, with its encrypted `params`
and `pid` appended. RFC 8058 rules: a POST acts at once and answers 200 (no redirect, no
cookie, no login); a GET only shows a page, because link scanners follow GETs.
"""

from __future__ import annotations

import functools
import logging

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.http.multipartparser import MultiPartParserError
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.utils import translation
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from consent.models import Source
from consent.origins import Origin
from consent.services.journey import (
    InvalidJourneyParams,
    clean_journey_param,
    receive_journey_one_click,
)
from lists.models import JourneyIntegration

logger = logging.getLogger(__name__)


def _param(request: HttpRequest, name: str) -> str | None:
    # Lenient like RFC 8058 one-click: the platform may put the pair in the query string or
    # in a form body (urlencoded or multipart); the query string wins.
    return request.GET.get(name) or request.POST.get(name)


def _confirm_context(request: HttpRequest) -> dict[str, object]:
    """A link in a message body arrives as a GET: offer one button that POSTs the pair."""
    try:
        params = clean_journey_param(request.GET.get("params"), name="params")
        pid = clean_journey_param(request.GET.get("pid"), name="pid")
    except InvalidJourneyParams:
        return {"received": False}
    return {"received": False, "params": params, "pid": pid}


@never_cache
def _confirmation(request: HttpRequest, endpoint_key: str) -> HttpResponse:
    get_object_or_404(JourneyIntegration, endpoint_key=endpoint_key, active=True)
    return render(request, "preferences/journey_one_click.html", _confirm_context(request))


# RFC 8058: the platform and mail clients POST without cookies; the encrypted pair is the proof.
# The answer to a POST carries no cache headers: HTTP caches never store one without them.
@csrf_exempt
@require_http_methods(["GET", "HEAD", "POST"])
def one_click(request: HttpRequest, endpoint_key: str) -> HttpResponse:
    if request.method != "POST":  # link scanners follow GETs: show, never act
        return _confirmation(request, endpoint_key)
    try:
        params = clean_journey_param(_param(request, "params"), name="params")
        pid = clean_journey_param(_param(request, "pid"), name="pid")
    except (InvalidJourneyParams, MultiPartParserError) as exc:
        # An unknown endpoint is a 404 whatever the body: read the key only on this path.
        get_object_or_404(JourneyIntegration, endpoint_key=endpoint_key, active=True)
        if isinstance(exc, InvalidJourneyParams):
            return HttpResponseBadRequest(exc.text, content_type="text/plain; charset=utf-8")
        return HttpResponseBadRequest(
            "The request body is not a valid form.", content_type="text/plain; charset=utf-8"
        )
    # One statement finds the active integration and stores the pair.
    stored = receive_journey_one_click(
        endpoint_key=endpoint_key,
        params=params,
        pid=pid,
        origin=Origin.from_request(request, source=Source.JOURNEY_PLATFORM),
    )
    if stored is None:
        raise Http404
    return HttpResponse(_received_page(translation.get_language()))


@functools.cache
def _received_page(language: str) -> str:
    """The answer to a POST, rendered once per language: it holds nothing of the request.

    Rendering it cost more CPU than storing the opt-out. Rendered without the request, so
    no context processor runs: no messages (a cookie-less POST has none), no cookie set.
    """
    with translation.override(language):
        return render_to_string("preferences/journey_one_click.html", {"received": True})
