"""The list's own words on its preference center, kept in memory by each process.

Every subscriber of a list sees the same categories, reasons and translations, and reading
them took five of the page's eight queries. Each process now keeps them, keyed on the list's
`content_version`: every save or delete of a category, reason or translation raises it (the
signal receivers below, connected in `ListsConfig.ready`; `texts_changed` for writes that
send no signal, such as `QuerySet.update`), and the version arrives with the list row the
page reads anyway. So an edit in admin shows on the next page view in every process, and a
warm page reads none of these tables.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from django.db.models import F, Model, QuerySet
from django.db.models.signals import post_delete, post_save

from lists.models import (
    Category,
    CategoryTranslation,
    ListTranslation,
    MailingList,
    UnsubscribeReason,
    UnsubscribeReasonTranslation,
)
from lists.texts import (
    CategoryText,
    ListTexts,
    ReasonText,
    fallback_languages,
    pick,
)

# Entries (one per list and language) kept per process; beyond that, the oldest is dropped.
MAX_ENTRIES = 512


@dataclass(frozen=True)
class _Category:
    """A category as plain values: the cache never hands a model instance to two requests."""

    pk: int
    slug: str
    own_name: str
    own_description: str
    position: int
    name: str
    description: str


@dataclass(frozen=True)
class _Texts:
    # language → (display name, footer); the list's own name and footer are on its row.
    list_rows: dict[str, tuple[str, str]]
    categories: tuple[_Category, ...]
    reasons: tuple[ReasonText, ...]


@dataclass(frozen=True)
class PageTexts:
    list_texts: ListTexts
    categories: list[CategoryText]
    reasons: list[ReasonText]


_cache: OrderedDict[tuple[object, ...], _Texts] = OrderedDict()
_lock = threading.Lock()


def page_texts(*, mailing_list: MailingList, language: str) -> PageTexts:
    """The list's name, footer, categories and reasons in `language`, with fallbacks.

    No query when this process has already read this version of the list in this language.
    `mailing_list` must be freshly read: its `content_version` says which texts are current.
    """
    languages = fallback_languages(mailing_list=mailing_list, language=language)
    # The uuid, not the pk: a pk can come back after a rollback (SQLite, tests), a uuid never.
    key = (mailing_list.uuid, mailing_list.content_version, *languages)
    with _lock:
        texts = _cache.get(key)
        if texts is not None:
            _cache.move_to_end(key)
    if texts is None:
        texts = _load(mailing_list=mailing_list, languages=languages)
        with _lock:
            _cache[key] = texts
            while len(_cache) > MAX_ENTRIES:
                _cache.popitem(last=False)
    names = {code: row[0] for code, row in texts.list_rows.items()}
    footers = {code: row[1] for code, row in texts.list_rows.items()}
    return PageTexts(
        list_texts=ListTexts(
            name=pick(names, languages, mailing_list.name),
            footer_text=pick(footers, languages, mailing_list.footer_text),
        ),
        categories=[
            CategoryText(
                category=_category(item, mailing_list=mailing_list),
                name=item.name,
                description=item.description,
            )
            for item in texts.categories
        ],
        reasons=list(texts.reasons),
    )


def _category(item: _Category, *, mailing_list: MailingList) -> Category:
    category = Category(
        pk=item.pk,
        mailing_list_id=mailing_list.pk,
        slug=item.slug,
        name=item.own_name,
        description=item.own_description,
        position=item.position,
    )
    category._state.adding = False  # a row of the database, as if read by a query
    # As `mailing_list.categories.all()` would: reaching the list costs no query.
    Category.mailing_list.field.set_cached_value(category, mailing_list)
    return category


def _load(*, mailing_list: MailingList, languages: list[str]) -> _Texts:
    list_rows = {
        code: (name, footer)
        for code, name, footer in ListTranslation.objects.filter(
            mailing_list=mailing_list, language__in=languages
        ).values_list("language", "display_name", "footer_text")
    }
    categories = list(
        Category.objects.filter(mailing_list=mailing_list).values_list(
            "pk", "slug", "name", "description", "position"
        )
    )
    names: dict[int, dict[str, str]] = {}
    descriptions: dict[int, dict[str, str]] = {}
    if categories:
        rows = CategoryTranslation.objects.filter(
            category__mailing_list=mailing_list, language__in=languages
        ).values_list("category_id", "language", "name", "description")
        for category_id, code, name, description in rows:
            names.setdefault(category_id, {})[code] = name
            descriptions.setdefault(category_id, {})[code] = description
    reasons = list(
        UnsubscribeReason.objects.filter(mailing_list=mailing_list).values_list(
            "pk", "slug", "label"
        )
    )
    labels: dict[int, dict[str, str]] = {}
    if reasons:
        reason_rows = UnsubscribeReasonTranslation.objects.filter(
            reason__mailing_list=mailing_list, language__in=languages
        ).values_list("reason_id", "language", "label")
        for reason_id, code, label in reason_rows:
            labels.setdefault(reason_id, {})[code] = label
    return _Texts(
        list_rows=list_rows,
        categories=tuple(
            _Category(
                pk=pk,
                slug=slug,
                own_name=name,
                own_description=description,
                position=position,
                name=pick(names.get(pk, {}), languages, name),
                description=pick(descriptions.get(pk, {}), languages, description),
            )
            for pk, slug, name, description, position in categories
        ),
        reasons=tuple(
            ReasonText(slug=slug, label=pick(labels.get(pk, {}), languages, label))
            for pk, slug, label in reasons
        ),
    )


def texts_changed(*, list_id: int) -> None:
    """Make every process read the list's texts again on its next page view.

    Call it after a write that sends no signal (`QuerySet.update`, `bulk_create`) to a
    category, reason or translation of the list; saves and deletes call it themselves.
    """
    _bump(MailingList.objects.filter(pk=list_id))


def _bump(lists: QuerySet[MailingList]) -> None:
    lists.update(content_version=F("content_version") + 1)


def _list_row_changed(sender: type[Model], instance: Any, **kwargs: Any) -> None:
    # Category, UnsubscribeReason, ListTranslation: the list is on the row.
    texts_changed(list_id=instance.mailing_list_id)


def _category_translation_changed(
    sender: type[Model], instance: CategoryTranslation, **kwargs: Any
) -> None:
    # One UPDATE with a subquery: the category may be mid-delete, its instance not loaded.
    _bump(MailingList.objects.filter(categories__pk=instance.category_id))


def _reason_translation_changed(
    sender: type[Model], instance: UnsubscribeReasonTranslation, **kwargs: Any
) -> None:
    _bump(MailingList.objects.filter(reasons__pk=instance.reason_id))


def connect_signals() -> None:
    """Called once from `ListsConfig.ready`."""
    for model in (Category, UnsubscribeReason, ListTranslation):
        for signal in (post_save, post_delete):
            signal.connect(_list_row_changed, sender=model, dispatch_uid=f"page_texts.{model}")
    for signal in (post_save, post_delete):
        signal.connect(
            _category_translation_changed,
            sender=CategoryTranslation,
            dispatch_uid="page_texts.category_translation",
        )
        signal.connect(
            _reason_translation_changed,
            sender=UnsubscribeReasonTranslation,
            dispatch_uid="page_texts.reason_translation",
        )
