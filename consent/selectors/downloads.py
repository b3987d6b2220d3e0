"""Suppression downloads and the scope they read: one query, streamed, no model instances."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from enum import StrEnum

from django.conf import settings
from django.db import connections
from django.db.backends.postgresql.psycopg_any import mogrify
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


def _download_pairs(
    *,
    mailing_list: MailingList,
    digest: Digest,
    since: datetime | None,
    category: Category | None,
) -> QuerySet[Contact, tuple[int, str]]:
    """(contact id, value) of every contact to list, by contact id; asks one query (whether
    the list has channel-level rows) to choose its shape."""
    rows = suppressions_in_scope(mailing_list=mailing_list, category=category)
    if since is not None:
        rows = rows.filter(created_at__gte=since)
    # A contact without the value asked for is left out: an erased one has no address, one
    # imported from an MD5 list has no SHA-256 (its MD5 is all it can be listed by).
    by_contact = Contact.objects.filter(
        pk__in=rows.filter(contact__isnull=False).values("contact_id")
    ).exclude(**{digest.column: None})
    # Each IN is a hashed semi-join; "IN … OR IN …" would make PostgreSQL test both subplans
    # row by row, which over a million suppressions takes minutes. Most lists have no
    # channel-level rows, so the union (and its sort) is paid only where needed.
    if not rows.filter(profile_key__isnull=False).exists():
        return by_contact.order_by("pk").values_list("pk", digest.column)
    by_person = Contact.objects.filter(
        profile_key__in=rows.filter(profile_key__isnull=False).values("profile_key")
    ).exclude(**{digest.column: None})
    return (
        by_contact.values_list("pk", digest.column)
        .union(by_person.values_list("pk", digest.column))
        .order_by("pk")
    )


# COPY's text format escapes these after a backslash (and the backslash itself); any other
# escaped character stands for itself.
_COPY_ESCAPES = {
    b"b": b"\b",
    b"f": b"\f",
    b"n": b"\n",
    b"r": b"\r",
    b"t": b"\t",
    b"v": b"\v",
}
_COPY_ESCAPE = re.compile(rb"\\(.)", re.DOTALL)


def _unescape_copy_text(data: bytes) -> bytes:
    """One field of a COPY text row as the server had it. Hashes need no escape and the
    addresses nearly never do, so the separators alone are replaced in one pass; a quoted
    address with a backslash or a tab goes through the full decoding."""
    if data.count(b"\\") == data.count(b"\\n"):  # each backslash starts a newline escape
        return data.replace(b"\\n", b"\n")
    return _COPY_ESCAPE.sub(lambda match: _COPY_ESCAPES.get(match[1], match[1]), data)


def _copied_blocks(
    pairs: QuerySet[Contact, tuple[int, str]], *, run: int, block_bytes: int
) -> Iterator[bytes]:
    """The values of `pairs` through `COPY … TO STDOUT`, newline-terminated, in blocks of
    whole lines of about `block_bytes`.

    Each COPY row carries a run of `run` values joined by newlines: libpq hands over one
    row per call, and a million calls from Python would cost more than the query. The
    rows arrive as the server sends them, so memory stays flat whatever the list size.
    """
    connection = connections[pairs.db]
    inner, params = pairs.query.get_compiler(using=pairs.db).as_sql()
    # COPY takes no parameters: they are bound here, by the driver's own quoting. Only
    # Django's compiled query and an integer are formatted in.
    sql = (
        "SELECT string_agg(d.value, E'\\n' ORDER BY d.pk) "  # noqa: S608
        f"FROM ({inner}) AS d (pk, value) "
        f"GROUP BY d.pk / {int(run)} ORDER BY d.pk / {int(run)}"
    )
    query = mogrify(sql, params, connection)
    buffer: list[bytes] = []
    size = 0
    with (
        connection.cursor() as cursor,
        connection.wrap_database_errors,
        cursor.copy(f"COPY ({query}) TO STDOUT") as copy,
    ):
        for row in copy:  # one run of values, its escapes, and the row's own newline
            lines = _unescape_copy_text(bytes(row))
            buffer.append(lines)
            size += len(lines)
            if size >= block_bytes:
                yield b"".join(buffer)
                buffer.clear()
                size = 0
    if buffer:
        yield b"".join(buffer)


def _joined_blocks(values: Iterator[str], *, batch: int) -> Iterator[bytes]:
    """One value per line, `batch` values per block: one WSGI write per line would crawl."""
    buffer: list[str] = []
    for value in values:
        buffer.append(value)
        if len(buffer) >= batch:
            yield ("\n".join(buffer) + "\n").encode()
            buffer.clear()
    if buffer:
        yield ("\n".join(buffer) + "\n").encode()


def suppression_download_blocks(
    *,
    mailing_list: MailingList,
    digest: Digest,
    since: datetime | None = None,
    category: Category | None = None,
) -> Iterator[bytes]:
    """Every address (or hash) that must not be mailed, one per line, in UTF-8 blocks of
    whole lines, streamed: nothing is asked of the database before the first block is.

    Contact suppressions name the address; channel-level ones name a person, so every
    contact with that profile key is listed. Selecting contacts (not suppressions) lists
    each one once, whatever covers it. No value holds a newline (hashes are hex, addresses
    are validated), so a block's lines are its values.
    """

    def stream() -> Iterator[bytes]:
        pairs = _download_pairs(
            mailing_list=mailing_list, digest=digest, since=since, category=category
        )
        if connections[pairs.db].vendor == "postgresql":
            yield from _copied_blocks(
                pairs,
                run=settings.OPTOUT_DOWNLOAD_CHUNK_ROWS,
                block_bytes=settings.OPTOUT_DOWNLOAD_BLOCK_BYTES,
            )
        else:
            # No model instances: a million rows stream in flat memory.
            chunk = settings.OPTOUT_DOWNLOAD_CHUNK_ROWS
            values = (value for _, value in pairs.iterator(chunk_size=chunk))
            yield from _joined_blocks(values, batch=chunk)

    return stream()


def suppressions_for_download(
    *,
    mailing_list: MailingList,
    digest: Digest,
    since: datetime | None = None,
    category: Category | None = None,
) -> Iterator[str]:
    """The values of `suppression_download_blocks`, one string each, streamed."""
    for block in suppression_download_blocks(
        mailing_list=mailing_list, digest=digest, since=since, category=category
    ):
        yield from block[:-1].decode().split("\n")
