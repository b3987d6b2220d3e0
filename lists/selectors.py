"""Reads of what the marketer configured, settled once so callers never loop into queries."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from lists.models import ListTranslation, MailingList, RedirectValue

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
