"""Reads of what the marketer configured, settled once so callers never loop into queries."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from django.db.models import Prefetch, QuerySet
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from lists.models import (
    AllowedNetwork,
    Category,
    ListTranslation,
    Mailer,
    MailerAccess,
    MailerApiKey,
    MailingList,
    RedirectValue,
)

# Set on a list read with its token's claim (consent.tokens.read_token): False when its team
# has no active webhook endpoint.
HAS_WEBHOOKS = "team_has_active_webhook"

DEFAULT_THANK_YOU_TITLE = _("You are unsubscribed")
DEFAULT_THANK_YOU_TEXT = _("You will not receive this list any more.")


@dataclass(frozen=True)
class ThankYou:
    """What a subscriber sees after an opt-out: a page, or a redirect when `redirect_url` is set.

    `language` is the language the list's text is in ("" for the built-in text, which follows
    the active translation).
    """

    title: str | Promise
    text: str | Promise
    language: str
    redirect_url: str = ""
    redirect_value: str = RedirectValue.NOTHING
    redirect_parameter: str = ""


def thank_you_for(*, mailing_list: MailingList, language: str) -> ThankYou:
    """The list's thank-you in `language`, else in its default language, else the built-in one.

    One query, whichever translation wins. A translation that leaves the title or the text
    blank borrows the built-in wording for that part only.
    """
    wanted = [language, mailing_list.default_language]
    rows = {
        row.language: row
        for row in ListTranslation.objects.filter(mailing_list=mailing_list, language__in=wanted)
    }
    translation = next((rows[code] for code in wanted if code in rows), None)
    if translation is None:
        return ThankYou(title=DEFAULT_THANK_YOU_TITLE, text=DEFAULT_THANK_YOU_TEXT, language="")
    return ThankYou(
        title=translation.thank_you_title or DEFAULT_THANK_YOU_TITLE,
        text=translation.thank_you_text or DEFAULT_THANK_YOU_TEXT,
        language=translation.language,
        redirect_url=translation.redirect_url,
        redirect_value=translation.redirect_value,
        redirect_parameter=translation.redirect_parameter,
    )


def accesses_for_mailer(*, mailer: Mailer) -> QuerySet[MailerAccess]:
    """The lists a mailer may use, with their categories, in list-name order."""
    return (
        MailerAccess.objects.filter(mailer=mailer)
        .select_related("mailing_list")
        .prefetch_related(
            Prefetch("mailing_list__categories", queryset=Category.objects.order_by("position"))
        )
        .order_by("mailing_list__name", "pk")
    )


def access_for_list(*, mailer: Mailer, list_uuid: UUID | str) -> MailerAccess | None:
    """The mailer's access to one list, or None when it has none (or the list is unknown)."""
    return (
        MailerAccess.objects.select_related("mailing_list", "mailer")
        .filter(mailer=mailer, mailing_list__uuid=list_uuid)
        .first()
    )


def networks_for_mailer(*, mailer: Mailer) -> list[str]:
    return list(AllowedNetwork.objects.filter(mailer=mailer).values_list("cidr", flat=True))


def api_keys_for_mailer(*, mailer: Mailer) -> QuerySet[MailerApiKey]:
    return MailerApiKey.objects.filter(mailer=mailer).order_by("revoked", "-created")


def may_have_webhooks(mailing_list: MailingList) -> bool:
    """False only when the list was read with the flag and its team has no active endpoint."""
    return bool(getattr(mailing_list, HAS_WEBHOOKS, True))
