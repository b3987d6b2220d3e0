"""The list's own words in one language: list name, footer, category texts, reasons.

`lists.page_texts` reads and caches them for the subscriber pages. Each text falls back from
the asked language to the list's default language, then to the text typed on the list
itself, so a half-translated list never shows a blank.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import get_supported_language_variant

from lists.models import Category, MailingList


def supported_language(code: str | None) -> str | None:
    """The configured language matching `code` (``fr-CA`` → ``fr``), or None."""
    if not code:
        return None
    try:
        return get_supported_language_variant(code.strip().lower())
    except LookupError:
        return None


def fallback_languages(*, mailing_list: MailingList, language: str) -> list[str]:
    """The languages to try, best first, before the list's own text."""
    languages = [language]
    default = supported_language(mailing_list.default_language)
    if default and default not in languages:
        languages.append(default)
    return languages


def pick(texts: dict[str, str], languages: list[str], fallback: str) -> str:
    """The text in the first of `languages` that has one, else `fallback`."""
    for language in languages:
        if texts.get(language):
            return texts[language]
    return fallback


@dataclass(frozen=True)
class ListTexts:
    name: str
    footer_text: str


@dataclass(frozen=True)
class CategoryText:
    category: Category
    name: str
    description: str


@dataclass(frozen=True)
class ReasonText:
    slug: str
    label: str


def language_codes() -> list[str]:
    return [code for code, _ in settings.LANGUAGES]
