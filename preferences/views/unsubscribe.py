"""Every way to leave a list without logging in: hosted page, direct link, one-click, pixel.

Each parses its request and calls one consent service with its own source. Link scanners
follow every GET, so a GET shows a page and never acts (the pixel is the one exception: it
sits on the mailer's own page *after* the person opted out there). Forged, foreign and
unknown tokens get the same page as genuine ones, and nothing here answers 500 for them.
"""

from __future__ import annotations

import base64
import logging
from urllib.parse import urlencode
from uuid import UUID

from django.conf import settings
from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import translation
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_safe

from consent.addresses import InvalidAddress
from consent.models import Contact, Source
from consent.origins import Origin
from consent.services import receive_one_click, unsubscribe, unsubscribe_address
from consent.tokens import read_token
from lists.models import MailerAccess, MailingList
from lists.networks import client_ip
from lists.selectors import thank_you_for
from lists.services import thank_you_redirect
from preferences import throttling
from preferences.forms import AddressForm
from preferences.languages import LANGUAGE_PARAMETER, subscriber_language
from preferences.rfc8058 import FIELD, MAX_BODY_BYTES, is_one_click_body

logger = logging.getLogger(__name__)

# A transparent 1x1 GIF: the smallest valid image every mail client and browser accepts.
PIXEL_GIF = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")


def _after_opt_out(
    request: HttpRequest, *, mailing_list: MailingList | None, contact: Contact | None
) -> HttpResponse:
    """The thank-you page in the subscriber's language, or the list's redirect."""
    if mailing_list is None:  # a link to a list that does not exist: the built-in page
        return render(request, "preferences/thank_you.html", {"thank_you": None})
    thank_you = thank_you_for(mailing_list=mailing_list, language=translation.get_language())
    if thank_you.redirect_url:
        return HttpResponseRedirect(
            thank_you_redirect(
                thank_you=thank_you,
                address=contact.address if contact else None,
                md5=contact.md5 if contact else None,
            )
        )
    context = {"thank_you": thank_you, "mailing_list": mailing_list}
    return render(request, "preferences/thank_you.html", context)


def _prefill(value: str) -> str:
    # Addresses hold no spaces: a space here was a "+" that the mailer forgot to encode.
    return value.strip().replace(" ", "+")


@subscriber_language
@require_http_methods(["GET", "POST"])
def hosted_page(request: HttpRequest, list_uuid: UUID) -> HttpResponse:
    """The address form. The answer is the same whether the address was known or not."""
    mailing_list = get_object_or_404(MailingList, uuid=list_uuid)
    context: dict[str, object] = {"mailing_list": mailing_list}
    if request.method == "GET":  # `?email=` only fills the form in: a GET never acts
        form = AddressForm(initial={"email": _prefill(request.GET.get("email", ""))})
        return render(request, "preferences/hosted_page.html", {**context, "form": form})

    rate = throttling.parse_rate(settings.OPTOUT_HOSTED_PAGE_RATE)
    if not throttling.allow(scope="hosted_page", ident=client_ip(request), rate=rate):
        form = AddressForm(initial={"email": request.POST.get("email", "")})
        context.update(form=form, rate_limited=True)
        return render(request, "preferences/hosted_page.html", context, status=429)

    form = AddressForm(request.POST)
    if not form.is_valid():
        return render(request, "preferences/hosted_page.html", {**context, "form": form})
    outcome = unsubscribe_address(
        address=form.cleaned_data["email"],
        mailing_list=mailing_list,
        origin=Origin.from_request(request, source=Source.HOSTED_PAGE),
    )
    return _after_opt_out(request, mailing_list=mailing_list, contact=outcome.event.contact)


@csrf_exempt  # the signed token is the proof; a cookie would add nothing a forger lacks
@subscriber_language
@require_http_methods(["GET", "POST"])
def direct_link(request: HttpRequest, list_uuid: UUID, token: str) -> HttpResponse:
    """GET asks with one button, POST acts."""
    mailing_list = MailingList.objects.filter(uuid=list_uuid).first()
    if request.method == "GET":  # link scanners follow GETs: show, never act
        context = {"mailing_list": mailing_list, "action": ""}
        return render(request, "preferences/confirm.html", context)
    claim = read_token(token, list_uuid=list_uuid)  # None: forged, truncated, foreign, unknown
    contact = None
    if claim is not None:
        origin = Origin.from_request(request, source=Source.DIRECT_LINK, mailer=claim.mailer)
        unsubscribe(contact=claim.contact, mailing_list=claim.mailing_list, origin=origin)
        contact = claim.contact
    return _after_opt_out(request, mailing_list=mailing_list, contact=contact)


@csrf_exempt  # RFC 8058: mail clients POST without cookies; the signed token is the proof.
@require_http_methods(["GET", "POST"])
def one_click(request: HttpRequest, token: str) -> HttpResponse:
    """RFC 8058: the mail client's POST acts at once; 200, a short body, nothing else.

    No redirect, no cookie, no session, no language cookie: providers drop a one-click URL
    that answers with any of them. A body that is not the one-click form changes nothing.
    """
    if request.method == "GET":
        return _one_click_confirmation(request, token=token)
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    # Read nothing that cannot be the one-click form: the body is 26 bytes when genuine.
    body = request.body if 0 < length <= MAX_BODY_BYTES else b""
    if not is_one_click_body(content_type=request.content_type or "", body=body):
        return HttpResponse(
            _("Expected List-Unsubscribe=One-Click."),
            status=400,
            content_type="text/plain; charset=utf-8",
        )
    # The token's mailer goes on the event; a forged token changes nothing.
    receive_one_click(token=token, origin=Origin.from_request(request, source=Source.ONE_CLICK))
    # The same answer for a forged token: the caller learns nothing from it.
    return HttpResponse(_("You are unsubscribed."), content_type="text/plain; charset=utf-8")


@subscriber_language
def _one_click_confirmation(request: HttpRequest, *, token: str) -> HttpResponse:
    """A person who opened the one-click URL in a browser: ask first, act on POST.

    A genuine token's form goes to the direct link, which answers with the list's thank-you
    page or redirect; any other one posts the one-click form back here.
    """
    claim = read_token(token)
    if claim is None:
        context: dict[str, object] = {"mailing_list": None, "one_click_field": FIELD}
        return render(request, "preferences/confirm.html", context)
    action = reverse(
        "preferences:direct", kwargs={"list_uuid": claim.mailing_list.uuid, "token": token}
    )
    if lang := request.GET.get(LANGUAGE_PARAMETER):
        action = f"{action}?{urlencode({LANGUAGE_PARAMETER: lang})}"
    context = {"mailing_list": claim.mailing_list, "action": action}
    return render(request, "preferences/confirm.html", context)


@require_safe
def pixel(request: HttpRequest, list_uuid: UUID, pixel_key: str) -> HttpResponse:
    """Always the 1x1 GIF; records an opt-out when the key belongs to this list."""
    address = _prefill(request.GET.get("email", ""))
    if address and request.method == "GET":
        try:
            _record_pixel(request, list_uuid=list_uuid, pixel_key=pixel_key, address=address)
        except DatabaseError:
            # A broken image would only show on the mailer's page; the log is where it counts.
            logger.exception("Pixel opt-out could not be recorded", extra={"list": str(list_uuid)})
    response = HttpResponse(PIXEL_GIF, content_type="image/gif")
    add_never_cache_headers(response)
    response["Pragma"] = "no-cache"
    response["Expires"] = "0"
    return response


def _record_pixel(request: HttpRequest, *, list_uuid: UUID, pixel_key: str, address: str) -> None:
    access = (
        MailerAccess.objects.select_related("mailer", "mailing_list")
        .filter(pixel_key=pixel_key, mailing_list__uuid=list_uuid)
        .first()
    )
    if access is None:
        logger.info("Pixel with a key that is not this list's", extra={"list": str(list_uuid)})
        return
    try:
        unsubscribe_address(
            address=address,
            mailing_list=access.mailing_list,
            origin=Origin.from_request(request, source=Source.PIXEL, mailer=access.mailer),
        )
    except InvalidAddress:
        logger.info("Pixel with an invalid address", extra={"list": str(list_uuid)})
