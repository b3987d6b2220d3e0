"""The list's own words in one language: list name, footer, category texts, reasons.

Each text falls back from the asked language to the list's default language, then to the
text typed on the list itself, so a half-translated list never shows a blank.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import get_supported_language_variant

from lists.models import (
    Category,
    CategoryTranslation,
    ListTranslation,
    MailingList,
    UnsubscribeReason,
    UnsubscribeReasonTranslation,
)


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


def list_texts(*, mailing_list: MailingList, language: str) -> ListTexts:
    languages = fallback_languages(mailing_list=mailing_list, language=language)
    rows = ListTranslation.objects.filter(
        mailing_list=mailing_list, language__in=languages
    ).values_list("language", "display_name", "footer_text")
    names = {code: name for code, name, _ in rows}
    footers = {code: footer for code, _, footer in rows}
    return ListTexts(
        name=pick(names, languages, mailing_list.name),
        footer_text=pick(footers, languages, mailing_list.footer_text),
    )


@dataclass(frozen=True)
class CategoryText:
    category: Category
    name: str
    description: str


def category_texts(
    *, mailing_list: MailingList, categories: Iterable[Category], language: str
) -> list[CategoryText]:
    """Name and description of each category in `language` (one query for all of them)."""
    categories = list(categories)
    languages = fallback_languages(mailing_list=mailing_list, language=language)
    names: dict[int, dict[str, str]] = {}
    descriptions: dict[int, dict[str, str]] = {}
    rows = CategoryTranslation.objects.filter(
        category__in=categories, language__in=languages
    ).values_list("category_id", "language", "name", "description")
    for category_id, code, name, description in rows:
        names.setdefault(category_id, {})[code] = name
        descriptions.setdefault(category_id, {})[code] = description
    return [
        CategoryText(
            category=category,
            name=pick(names.get(category.pk, {}), languages, category.name),
            description=pick(descriptions.get(category.pk, {}), languages, category.description),
        )
        for category in categories
    ]


@dataclass(frozen=True)
class ReasonText:
    slug: str
    label: str


def reason_texts(*, mailing_list: MailingList, language: str) -> list[ReasonText]:
    """The list's unsubscribe reasons in `language`, in the marketer's order."""
    reasons = list(UnsubscribeReason.objects.filter(mailing_list=mailing_list))
    if not reasons:
        return []
    languages = fallback_languages(mailing_list=mailing_list, language=language)
    labels: dict[int, dict[str, str]] = {}
    rows = UnsubscribeReasonTranslation.objects.filter(
        reason__in=reasons, language__in=languages
    ).values_list("reason_id", "language", "label")
    for reason_id, code, label in rows:
        labels.setdefault(reason_id, {})[code] = label
    return [
        ReasonText(slug=reason.slug, label=pick(labels.get(reason.pk, {}), languages, reason.label))
        for reason in reasons
    ]


def language_codes() -> list[str]:
    return [code for code, _ in settings.LANGUAGES]
