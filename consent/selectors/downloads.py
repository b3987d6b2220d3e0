"""Suppression downloads and the scope they read: one query, streamed, no model instances."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from enum import StrEnum

from django.conf import settings
from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.postgresql.psycopg_any import mogrify
from django.db.models import BigIntegerField, Q, QuerySet
from django.db.models.expressions import RawSQL

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


def _by_contact(
    rows: QuerySet[Suppression], digest: Digest, *, after: RawSQL | None = None
) -> QuerySet[Contact, tuple[int, str]]:
    """(contact id, value) of the contacts that their own suppression row covers, by id;
    with `after`, only those past that contact id."""
    covering = rows.filter(contact__isnull=False)
    # A contact without the value asked for is left out: an erased one has no address, one
    # imported from an MD5 list has no SHA-256 (its MD5 is all it can be listed by).
    contacts = Contact.objects.exclude(**{digest.column: None})
    if after is not None:
        # Both sides of the semi-join start past the cursor: each run reads its rows only.
        covering = covering.filter(contact_id__gt=after)
        contacts = contacts.filter(pk__gt=after)
    return (
        contacts.filter(pk__in=covering.values("contact_id"))
        .order_by("pk")
        .values_list("pk", digest.column)
    )


def _with_people(rows: QuerySet[Suppression], digest: Digest) -> QuerySet[Contact, tuple[int, str]]:
    """`_by_contact` plus every contact of a person a channel-level row covers, by id."""
    # Each IN is a hashed semi-join; "IN … OR IN …" would make PostgreSQL test both subplans
    # row by row, which over a million suppressions takes minutes.
    by_person = Contact.objects.filter(
        profile_key__in=rows.filter(profile_key__isnull=False).values("profile_key")
    ).exclude(**{digest.column: None})
    return (
        _by_contact(rows, digest)
        .order_by()
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


def _copied_blocks(connection: BaseDatabaseWrapper, query: str) -> Iterator[bytes]:
    """The text rows of `query` through `COPY … TO STDOUT`, each a run of values joined by
    newlines, as blocks of whole lines of about OPTOUT_DOWNLOAD_BLOCK_BYTES.

    libpq hands over one COPY row per call, and a million calls from Python would cost more
    than the query: hence runs. The rows arrive as the server sends them, so memory stays
    flat whatever the list size.
    """
    block_bytes = settings.OPTOUT_DOWNLOAD_BLOCK_BYTES
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


def _compiled(pairs: QuerySet[Contact, tuple[int, str]], sql: str) -> str:
    """`sql` around the query of `pairs` (at `{pairs}`), its parameters bound here: COPY
    takes none. Only Django's compiled query and integers are formatted in."""
    connection = connections[pairs.db]
    inner, params = pairs.query.get_compiler(using=pairs.db).as_sql()
    return mogrify(sql.replace("{pairs}", inner), params, connection)


def _runs_by_keyset(rows: QuerySet[Suppression], digest: Digest, *, run: int) -> str:
    """One row per `run` contacts, found from where the last run ended (a recursive query):
    every run reads its own rows by index, and nothing is sorted or held back."""
    cursor = RawSQL('"runs"."last"', (), output_field=BigIntegerField())
    pairs = _by_contact(rows, digest, after=cursor)[: int(run)]
    # The runs' lines follow the LIMITed, ordered subquery: a plain aggregate over a single
    # subquery takes its rows in their order, and an ORDER BY inside string_agg would sort
    # each run a second time.
    return _compiled(
        pairs,
        "WITH RECURSIVE runs (last, lines) AS ("
        " SELECT '-9223372036854775808'::bigint, NULL::text"
        " UNION ALL"
        " SELECT run.last, run.lines FROM runs CROSS JOIN LATERAL ("
        "  SELECT max(d.pk), string_agg(d.value, E'\\n') FROM ({pairs}) AS d (pk, value)"
        " ) AS run (last, lines) WHERE run.last IS NOT NULL"
        ") SELECT lines FROM runs WHERE lines IS NOT NULL",
    )


def _runs_by_group(pairs: QuerySet[Contact, tuple[int, str]], *, run: int) -> str:
    """One row per `run` ids of contacts: for the union with channel-level rows, which no
    index orders, so it is sorted once whichever way."""
    return _compiled(
        pairs,
        "SELECT string_agg(d.value, E'\\n' ORDER BY d.pk) FROM ({pairs}) AS d (pk, value) "  # noqa: S608
        f"GROUP BY d.pk / {int(run)} ORDER BY d.pk / {int(run)}",
    )


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
        rows = suppressions_in_scope(mailing_list=mailing_list, category=category)
        if since is not None:
            rows = rows.filter(created_at__gte=since)
        # Most lists have no channel-level rows, so the union (and its sort) is paid only
        # where needed.
        people = rows.filter(profile_key__isnull=False).exists()
        run = settings.OPTOUT_DOWNLOAD_CHUNK_ROWS
        connection = connections[rows.db]
        if connection.vendor == "postgresql":
            if people:
                query = _runs_by_group(_with_people(rows, digest), run=run)
            else:
                query = _runs_by_keyset(rows, digest, run=run)
            yield from _copied_blocks(connection, query)
        else:
            pairs = _with_people(rows, digest) if people else _by_contact(rows, digest)
            # No model instances: a million rows stream in flat memory.
            values = (value for _, value in pairs.iterator(chunk_size=run))
            yield from _joined_blocks(values, batch=run)

    return stream()
