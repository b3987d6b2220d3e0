"""Preference center: a subscriber's categories for one list, in their language.

GET shows, POST changes (through one consent service) and redirects back with a message,
so a reload never resubmits. A token that is not genuine gets one neutral page.
"""

from __future__ import annotations

from urllib.parse import urlencode
from uuid import UUID

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext
from django.views.decorators.cache import cache_control, never_cache
from django.views.decorators.http import require_GET, require_http_methods

from consent.models import Source
from consent.origins import Origin
from consent.preference_selectors import categories_with_state
from consent.services import resubscribe, set_preferences, unsubscribe
from consent.tokens import TokenClaim, read_token, unsign_ids
from lists.branding import theme_for
from lists.models import MailingList, ReasonMode
from lists.page_texts import page_texts
from lists.services import hosted_page_url
from lists.texts import supported_language
from preferences.forms import RESUBSCRIBE_ALL, UNSUBSCRIBE_ALL, PreferencesForm
from preferences.languages import LANGUAGE_PARAMETER


def page_language(request: HttpRequest, mailing_list: MailingList | None) -> str:
    """`?lang=`, then the list's default language, then the browser's Accept-Language."""
    asked = supported_language(request.GET.get(LANGUAGE_PARAMETER))
    if asked:
        return asked
    if mailing_list is not None:
        default = supported_language(mailing_list.default_language)
        if default:
            return default
    return translation.get_language_from_request(request)


@never_cache  # the page shows one person's choices: no shared cache may keep it
@require_http_methods(["GET", "POST"])
def preference_center(request: HttpRequest, token: str) -> HttpResponse:
    claim = read_token(token)
    if claim is None:
        return invalid_link(request, token=token)
    language = page_language(request, claim.mailing_list)
    with translation.override(language):
        response = _center(request, claim=claim, token=token, language=language)
    response["Content-Language"] = language
    return response


def _center(request: HttpRequest, *, claim: TokenClaim, token: str, language: str) -> HttpResponse:
    mailing_list = claim.mailing_list
    # The list's texts come from this process's cache: a warm page queries only the token's
    # contact and list and the subscriber's suppressions.
    page = page_texts(mailing_list=mailing_list, language=language)
    state = categories_with_state(
        contact=claim.contact, mailing_list=mailing_list, language=language, texts=page
    )
    texts = page.list_texts
    reasons = page.reasons if mailing_list.reason_mode == ReasonMode.OPTIONAL else None
    form = PreferencesForm(request.POST or None, state=state, reasons=reasons)
    if request.method == "POST":
        if form.is_valid():
            messages.success(request, _apply(request, claim=claim, form=form, list_name=texts.name))
            return redirect(_page_url(request, token=token))
        status = 400
    else:
        status = 200
    return render(
        request,
        "preferences/center.html",
        {
            "form": form,
            "state": state,
            "texts": texts,
            "mailing_list": mailing_list,
            "address_hint": _masked(claim.contact.address),
            "languages": _language_links(token=token, current=language),
        },
        status=status,
    )


def _apply(
    request: HttpRequest, *, claim: TokenClaim, form: PreferencesForm, list_name: str
) -> str:
    """Run the one service the pressed button asks for; the confirmation to show."""
    contact, mailing_list = claim.contact, claim.mailing_list
    slug, text = form.reason
    if form.chosen_action == RESUBSCRIBE_ALL:
        resubscribe(
            contact=contact,
            mailing_list=mailing_list,
            origin=Origin.from_request(request, source=Source.RESUBSCRIBE, mailer=claim.mailer),
        )
        return gettext("Welcome back! You will receive emails from %(list)s again.") % {
            "list": list_name
        }
    if form.chosen_action == UNSUBSCRIBE_ALL:
        unsubscribe(
            contact=contact,
            mailing_list=mailing_list,
            origin=Origin.from_request(
                request,
                source=Source.PREFERENCE_CENTER,
                mailer=claim.mailer,
                reason=slug,
                detail={"reason_text": text} if text else None,
            ),
        )
        return gettext("You are unsubscribed from all emails from %(list)s.") % {"list": list_name}
    saved = set_preferences(
        contact=contact,
        mailing_list=mailing_list,
        wanted=form.wanted,
        origin=Origin.from_request(request, source=Source.PREFERENCE_CENTER, mailer=claim.mailer),
        reason=slug,
        reason_text=text,
    )
    if not saved.changed:
        return gettext("Your preferences are saved. Nothing needed to change.")
    return gettext("Your preferences are saved.")


def _page_url(request: HttpRequest, *, token: str) -> str:
    url = reverse("preferences:center", kwargs={"token": token})
    return _in_language(url, supported_language(request.GET.get(LANGUAGE_PARAMETER)))


def _in_language(url: str, language: str | None) -> str:
    return f"{url}?{urlencode({LANGUAGE_PARAMETER: language})}" if language else url


def _language_links(*, token: str, current: str) -> list[dict[str, object]]:
    url = reverse("preferences:center", kwargs={"token": token})  # once, not once per language
    return [
        {
            "code": code,
            "name": translation.get_language_info(code)["name_local"],
            "url": _in_language(url, code),
            "current": code == current,
        }
        for code, _name in settings.LANGUAGES
    ]


def _masked(address: str | None) -> str:
    """`j…@example.com`: enough for a person to recognise their address, not to harvest it."""
    if not address or "@" not in address:
        return ""
    local, domain = address.rsplit("@", 1)
    return f"{local[0]}…@{domain}"


def invalid_link(request: HttpRequest, *, token: str) -> HttpResponse:
    """The same neutral page for every token that is forged, truncated or out of date.

    Only a token with our genuine signature names its list, so only then is the list's
    hosted opt-out page offered; a forged one cannot make us reveal any list.
    """
    ids = unsign_ids(token)
    mailing_list = MailingList.objects.filter(pk=ids[1]).first() if ids else None
    language = page_language(request, mailing_list)
    with translation.override(language):
        response = render(
            request,
            "preferences/center_invalid.html",
            {
                "mailing_list": mailing_list,
                "hosted_url": hosted_page_url(mailing_list=mailing_list) if mailing_list else "",
                "texts": page_texts(mailing_list=mailing_list, language=language).list_texts
                if mailing_list
                else None,
            },
        )
    response["Content-Language"] = language
    return response


@require_GET
@cache_control(public=True, max_age=3600)
def theme(request: HttpRequest, list_uuid: UUID) -> HttpResponse:
    """The list's accent colour as CSS variables: the CSP refuses inline styles."""
    mailing_list = get_object_or_404(MailingList, uuid=list_uuid)
    if not mailing_list.accent_color:
        raise Http404
    return HttpResponse(theme_for(mailing_list.accent_color).css(), content_type="text/css")
