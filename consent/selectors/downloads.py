"""Suppression downloads and the scope they read: one query, streamed, no model instances."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from enum import StrEnum

from django.conf import settings
from django.db.models import Q, QuerySet

from consent.models import Contact, Suppression
from lists.models import Category, MailingList


class Digest(StrEnum):
    """How a suppression download spells each address."""

    PLAIN = "plain"
    MD5 = "md5"
    SHA256 = "sha256"

    @property
    def column(self) -> str:
        return "address" if self is Digest.PLAIN else self.value


def suppressions_in_scope(
    *, mailing_list: MailingList, category: Category | None = None
) -> QuerySet[Suppression]:
    """Suppressions that forbid mailing this list (or this category of it).

    A whole-list opt-out always counts; a category opt-out counts only for its category.
    """
    scope = Q(category__isnull=True)
    if category is not None:
        scope |= Q(category=category)
    return Suppression.objects.filter(scope, mailing_list=mailing_list)


def suppressions_for_download(
    *,
    mailing_list: MailingList,
    digest: Digest,
    since: datetime | None = None,
    category: Category | None = None,
) -> Iterator[str]:
    """Every address (or hash) that must not be mailed, one string per contact, streamed.

    Contact suppressions name the address; channel-level ones name a person, so every
    contact with that profile key is listed. Selecting contacts (not suppressions) lists
    each one once, whatever covers it. An erased contact has no address: the plain
    download leaves it out, the hashed ones keep it.
    """
    rows = suppressions_in_scope(mailing_list=mailing_list, category=category)
    if since is not None:
        rows = rows.filter(created_at__gte=since)
    by_contact = Contact.objects.filter(
        pk__in=rows.filter(contact__isnull=False).values("contact_id")
    )
    by_person = Contact.objects.filter(
        profile_key__in=rows.filter(profile_key__isnull=False).values("profile_key")
    )
    if digest is Digest.PLAIN:
        by_contact = by_contact.exclude(address=None)
        by_person = by_person.exclude(address=None)
    chunk = settings.OPTOUT_DOWNLOAD_CHUNK_ROWS

    def stream() -> Iterator[str]:
        # Each IN is a hashed semi-join; "IN … OR IN …" would make PostgreSQL test both
        # subplans row by row, which over a million suppressions takes minutes. Most lists
        # have no channel-level rows, so the union (and its sort) is paid only where needed.
        # No model instances either way: a million rows stream in flat memory.
        if rows.filter(profile_key__isnull=False).exists():
            pairs = by_contact.values_list("pk", digest.column).union(
                by_person.values_list("pk", digest.column)
            )
            for _, value in pairs.order_by("pk").iterator(chunk_size=chunk):
                yield value
        else:
            values = by_contact.order_by("pk").values_list(digest.column, flat=True)
            yield from values.iterator(chunk_size=chunk)

    return stream()
