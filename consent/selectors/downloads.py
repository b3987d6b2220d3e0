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
    contacts = Contact.objects.filter(
        Q(pk__in=rows.filter(contact__isnull=False).values("contact_id"))
        | Q(profile_key__in=rows.filter(profile_key__isnull=False).values("profile_key"))
    )
    if digest is Digest.PLAIN:
        contacts = contacts.exclude(address=None)
    # One query, no model instances: a million rows stream in flat memory.
    values = contacts.order_by("pk").values_list(digest.column, flat=True)
    return values.iterator(chunk_size=settings.OPTOUT_DOWNLOAD_CHUNK_ROWS)
