"""Import unsubscribed addresses exported from other ESPs into one list.

Two passes. The first reads the whole file (streamed, any size) outside any transaction,
detects the format from the header, validates every row and writes the usable ones to a
spool file on disk; it never touches the database. The second runs in one durable
transaction: the spool goes to a temporary table (PostgreSQL `COPY`, SQLite `executemany`)
and a few set-based statements add the contacts, the suppressions and one event per new
suppression (`ON CONFLICT DO NOTHING`: a second import of the same file adds nothing). The
import commits whole or not at all, and memory stays flat whatever the file's size.

Events keep the original unsubscribe time as `occurred_at`, source `import`, and the file
name in `detail`. An import queues no webhooks: these opt-outs are history the old ESP
already honours, and a million-row file must not flood every receiver.
"""

from __future__ import annotations

import csv
import io
import logging
import re
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from functools import partial
from typing import IO, Any

from django.conf import settings
from django.db import DatabaseError, connection, models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from consent import tasks
from consent.addresses import HEX_MD5, InvalidAddress, hash_address, normalize_address
from consent.models import (
    Action,
    ConsentEvent,
    Contact,
    ImportJob,
    ImportStatus,
    Scope,
    Source,
    Suppression,
)
from lists.errors import OptoutError
from lists.models import ConsentLevel, MailingList

logger = logging.getLogger(__name__)

READ_BLOCK = 1 << 16
SNIFF_BYTES = 1 << 16


class ImportFileUnreadable(OptoutError):
    code = "import_file_unreadable"
    message = _("line %(line)d: %(reason)s")


@dataclass(frozen=True)
class Reject:
    line: int
    reason: str
    kept: bool = False  # True: the row was imported, with a warning (e.g. an unreadable date)

    def as_dict(self) -> dict[str, object]:
        return {"line": self.line, "reason": self.reason, "kept": self.kept}


@dataclass
class ImportResult:
    file_format: str
    rows: int = 0
    suppressed: int = 0
    already_suppressed: int = 0
    duplicates: int = 0
    skipped: int = 0
    invalid: int = 0
    errors: list[Reject] = field(default_factory=list)


# --- Reading times ------------------------------------------------------------------------

_DAY_FIRST = (
    "%d-%m-%Y %H:%M:%S",
    "%d-%m-%Y %H:%M",
    "%d-%m-%Y",
    "%d/%m/%Y %H:%M:%S",
    "%d/%m/%Y %H:%M",
    "%d/%m/%Y",
    "%d.%m.%Y %H:%M:%S",
    "%d.%m.%Y",
)


def _aware(value: datetime) -> datetime:
    # Exports without an offset are UTC (Mailchimp, SendGrid, listmonk write UTC).
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def parse_time(text: str, *, day_first: bool = False) -> datetime | None:
    """A time as ESPs write it: epoch seconds or ms, ISO 8601, RFC 2822, day-first dates.

    Returns None for an empty cell; raises ValueError for one it cannot read.
    """
    text = text.strip()
    if not text:
        return None
    if text.isdigit():
        seconds = int(text) / 1000 if len(text) >= 13 else int(text)
        return datetime.fromtimestamp(seconds, tz=UTC)
    if day_first:
        for pattern in _DAY_FIRST:
            try:
                return _aware(datetime.strptime(text, pattern))  # noqa: DTZ007  # made aware
            except ValueError:
                continue
    try:
        # listmonk (PostgreSQL) writes "+00" offsets; fromisoformat wants "+00:00".
        iso = re.sub(r"([+-]\d\d)$", r"\1:00", text.replace("Z", "+00:00"))
        return _aware(datetime.fromisoformat(iso))
    except ValueError:
        pass
    try:
        return _aware(parsedate_to_datetime(text))
    except (TypeError, ValueError, IndexError):
        pass
    raise ValueError(text)


# --- Formats ------------------------------------------------------------------------------


def _name(cell: str) -> str:
    """A header cell as we match it: lowercase, words joined by underscores."""
    return re.sub(r"[^0-9a-z]+", "_", cell.strip().strip('"').lower()).strip("_")


@dataclass(frozen=True)
class FileFormat:
    name: str
    required: frozenset[str]  # header names that identify the format
    address: str = ""  # column of the address
    md5: str = ""  # column of an MD5 hash (hash lists)
    times: tuple[str, ...] = ()  # first present column holds the unsubscribe time
    day_first: bool = False
    delimiter: str = ","
    # Only rows whose `column` holds one of `values` are opt-outs (listmonk: blocklisted).
    only: tuple[str, frozenset[str]] | None = None


def _fmt(name: str, required: set[str], **options: Any) -> FileFormat:
    return FileFormat(name=name, required=frozenset(required), **options)


# Most specific first: several exports share an `email` column.
FORMATS: tuple[FileFormat, ...] = (
    _fmt(
        "mailchimp",
        {"email_address", "unsub_time"},
        address="email_address",
        times=("unsub_time",),
    ),
    _fmt(
        "listmonk",
        {"uuid", "email", "status"},
        address="email",
        times=("updated_at", "created_at"),
        only=("status", frozenset({"blocklisted"})),
    ),
    _fmt(
        "amazon_ses", {"emailaddress", "reason"}, address="emailaddress", times=("lastupdatetime",)
    ),
    _fmt(
        "klaviyo",
        {"email", "suppression_reason"},
        address="email",
        times=("suppression_date", "date_suppressed", "suppressed_at", "timestamp"),
    ),
    _fmt(
        "sendgrid_bounces",
        {"email", "created", "reason", "status"},
        address="email",
        times=("created",),
    ),
    _fmt("sendgrid_spam_reports", {"email", "created", "ip"}, address="email", times=("created",)),
    _fmt("sendgrid_unsubscribes", {"email", "created"}, address="email", times=("created",)),
    _fmt("mailgun", {"address", "created_at"}, address="address", times=("created_at",)),
    _fmt(
        "brevo",
        {"email"},
        address="email",
        delimiter=";",
        day_first=True,
        times=(
            "blocklisted_at",
            "blacklisted_at",
            "unsubscribed_at",
            "unsubscription_date",
            "date_unsubscribed",
            "modified_at",
            "updated_at",
        ),
    ),
    _fmt("md5_list", {"md5"}, md5="md5"),
    _fmt("md5_list", {"email_md5"}, md5="email_md5"),
    _fmt("md5_list", {"md5_hash"}, md5="md5_hash"),
    _fmt("md5_list", {"hash"}, md5="hash"),
    _fmt("plain", {"email"}, address="email"),
    _fmt("plain", {"email_address"}, address="email_address"),
    _fmt("plain", {"address"}, address="address"),
)
PLAIN_NO_HEADER = _fmt("plain", set(), address="0")
MD5_NO_HEADER = _fmt("md5_list", set(), md5="0")


@dataclass(frozen=True)
class Layout:
    """A detected format bound to this file's columns."""

    file_format: FileFormat
    has_header: bool
    address: int | None
    md5: int | None
    time: int | None
    only: tuple[int, frozenset[str]] | None


def _delimiter(line: str) -> str:
    counts = {sep: line.count(sep) for sep in (",", ";", "\t")}
    best = max(counts, key=lambda sep: counts[sep])
    return best if counts[best] else ","


def detect_format(first_line: str) -> tuple[Layout, str]:
    """The layout of a file from its first line, and the delimiter to read it with.

    Raises ImportFileUnreadable when no known export has these columns.
    """
    delimiter = _delimiter(first_line)
    cells = next(csv.reader([first_line], delimiter=delimiter), [])
    if len(cells) == 1:
        cell = cells[0].strip().strip("<>").lower()
        if HEX_MD5.match(cell):
            return Layout(MD5_NO_HEADER, False, None, 0, None, None), delimiter
        if "@" in cell:
            return Layout(PLAIN_NO_HEADER, False, 0, None, None, None), delimiter
    names = [_name(cell) for cell in cells]
    present = set(names)
    for candidate in FORMATS:
        if not candidate.required <= present:
            continue
        if candidate.delimiter == ";" and delimiter != ";":
            continue
        if candidate.name in {"plain", "md5_list"} and len(present) != 1:
            continue
        time = next((names.index(c) for c in candidate.times if c in present), None)
        only = None
        if candidate.only is not None:
            only = (names.index(candidate.only[0]), candidate.only[1])
        layout = Layout(
            file_format=candidate,
            has_header=True,
            address=names.index(candidate.address) if candidate.address else None,
            md5=names.index(candidate.md5) if candidate.md5 else None,
            time=time,
            only=only,
        )
        return layout, delimiter
    raise ImportFileUnreadable(
        line=1,
        reason=_("no address column: this is not a known export (columns: %(columns)s)")
        % {"columns": ", ".join(cells)[:200]},
    )


# --- Pass 1: read and validate, no database -----------------------------------------------

# Django's validate_email rules for plain ASCII addresses, so most rows skip the IDNA codec.
_FAST_ADDRESS = re.compile(
    r"^[-!#$%&'*+/=?^_`{}|~0-9a-z]+(\.[-!#$%&'*+/=?^_`{}|~0-9a-z]+)*"
    r"@((?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+)(?:[a-z0-9-]{2,63}(?<!-))$"
)


def _address(raw: str) -> str:
    text = raw.strip().strip("<>").strip().lower()
    if len(text) <= 320 and text.isascii() and _FAST_ADDRESS.match(text):
        return text
    return normalize_address(raw)


@dataclass
class Spool:
    """Usable rows on disk, in PostgreSQL's COPY text format: md5, address, sha256, time."""

    file: IO[str]
    rows: int = 0


def _copy_text(value: str | None) -> str:
    if value is None:
        return "\\N"
    if "\\" in value or "\t" in value or "\n" in value or "\r" in value:
        return (
            value.replace("\\", "\\\\")
            .replace("\t", "\\t")
            .replace("\n", "\\n")
            .replace("\r", "\\r")
        )
    return value


def _copy_untext(value: str) -> str | None:
    if value == "\\N":
        return None
    if "\\" not in value:
        return value
    return re.sub(r"\\(.)", lambda m: {"t": "\t", "n": "\n", "r": "\r"}.get(m[1], m[1]), value)


class _Reader:
    """Stream the upload as text: BOM dropped, CRLF handled, undecodable bytes marked."""

    def __init__(self, stream: IO[bytes]) -> None:
        self.raw = stream
        self.text = io.TextIOWrapper(
            io.BufferedReader(stream, READ_BLOCK),  # type: ignore[type-var]  # any binary IO
            encoding="utf-8-sig",
            errors="replace",
            newline="",
        )

    def position(self) -> int:
        try:
            return int(self.raw.tell())
        except (OSError, ValueError):
            return 0


def parse_file(
    *,
    stream: IO[bytes],
    spool: IO[str],
    size: int = 0,
    progress: Callable[[int], None] | None = None,
) -> tuple[ImportResult, Spool]:
    """Pass 1: validate every row and write the usable ones to `spool`."""
    reader = _Reader(stream)
    first = ""
    for text_line in reader.text:
        if text_line.strip():
            first = text_line.rstrip("\r\n")
            break
    if not first:
        raise ImportFileUnreadable(line=1, reason=_("the file is empty"))
    layout, delimiter = detect_format(first)
    result = ImportResult(file_format=layout.file_format.name)
    out = Spool(file=spool)
    limit = settings.OPTOUT_IMPORT_REPORTED_ERRORS

    def reject(line: int, reason: str, *, kept: bool = False) -> None:
        if not kept:
            result.invalid += 1
        if len(result.errors) < limit:
            result.errors.append(Reject(line=line, reason=reason, kept=kept))

    # csv counts lines from the header on; a headerless file starts with its first row.
    offset = 1 if layout.has_header else 0
    lines = reader.text if layout.has_header else _prepend(first + "\n", reader.text)
    rows = csv.reader(lines, delimiter=delimiter)
    write = spool.write
    time_text = _time_writer()
    chunk = settings.OPTOUT_IMPORT_CHUNK_ROWS
    for cells in rows:
        line = rows.line_num + offset
        if not cells or not any(cell.strip() for cell in cells):
            continue
        result.rows += 1
        if progress is not None and result.rows % chunk == 0 and size:
            progress(min(99, reader.position() * 100 // size))
        if layout.only is not None:
            column, values = layout.only
            if column >= len(cells) or cells[column].strip().lower() not in values:
                result.skipped += 1
                continue
        try:
            occurred = _occurred(layout, cells)
        except ValueError as exc:
            reject(line, f"unreadable date {str(exc)[:40]!r}; import time used", kept=True)
            occurred = None
        try:
            md5, address, sha256 = _identity(layout, cells)
        except RowRejected as exc:
            reject(line, exc.reason)
            continue
        write(f"{md5}\t{_copy_text(address)}\t{_copy_text(sha256)}\t{time_text(occurred)}\n")
        out.rows += 1
    spool.flush()
    return result, out


def _occurred(layout: Layout, cells: list[str]) -> datetime | None:
    if layout.time is None or layout.time >= len(cells):
        return None
    return parse_time(cells[layout.time], day_first=layout.file_format.day_first)


class RowRejected(Exception):
    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


def _identity(layout: Layout, cells: list[str]) -> tuple[str, str | None, str | None]:
    """MD5, address and SHA-256 of one row (hash lists: the MD5 only). Raises RowRejected."""
    if layout.md5 is not None:
        value = cells[layout.md5].strip().lower() if layout.md5 < len(cells) else ""
        if not HEX_MD5.match(value):
            raise RowRejected("not an MD5 hash (32 hexadecimal digits)")
        return value, None, None
    assert layout.address is not None  # noqa: S101  # every format has one or the other
    value = cells[layout.address] if layout.address < len(cells) else ""
    if not value.strip():
        raise RowRejected("no address")
    if "\ufffd" in value:
        raise RowRejected("the address is not valid UTF-8")
    try:
        hashed = hash_address(_address(value))
    except InvalidAddress as exc:
        raise RowRejected("not a valid email address") from exc
    return hashed.md5, hashed.normalized, hashed.sha256


def _prepend(first: str, rest: Iterator[str]) -> Iterator[str]:
    yield first
    yield from rest


def _time_writer() -> Callable[[datetime | None], str]:
    """How the spool spells a time for this database (resolved once, not per row)."""
    if connection.vendor == "sqlite":
        # Django's own SQLite spelling of an aware datetime: naive UTC text.
        def sqlite_text(value: datetime | None) -> str:
            if value is None:
                return "\\N"
            return str(value.astimezone(UTC).replace(tzinfo=None))

        return sqlite_text

    def iso_text(value: datetime | None) -> str:
        return "\\N" if value is None else value.isoformat()

    return iso_text


# --- Pass 2: one transaction, set-based SQL ----------------------------------------------

ROWS = "optout_import_rows"
UNIQUE = "optout_import_unique"
NEW = "optout_import_new"


Given = dict[str, tuple[str, list[object]]]


def _columns(model: type[models.Model], given: Given) -> tuple[str, str, list[Any]]:
    """Column list, SELECT list and parameters for an INSERT … SELECT into `model`.

    `given` maps columns to an SQL expression and the raw values of its placeholders, which
    go through the field's own preparation (JSON, datetimes) as the ORM would send them.
    Every other column gets its model default, so a field another app adds later with a
    default needs no change here.
    """
    quote = connection.ops.quote_name
    names: list[str] = []
    values: list[str] = []
    params: list[Any] = []
    for model_field in model._meta.concrete_fields:
        if model_field.primary_key:
            continue
        column = str(model_field.column)
        names.append(quote(column))
        if column in given:
            expression, raw = given[column]
            values.append(expression)
            params.extend(model_field.get_db_prep_save(value, connection) for value in raw)
            continue
        default = model_field.get_default()  # "" for text fields without a default
        if default is None and not model_field.null:
            raise ImproperlyConfiguredImport(column)
        values.append("%s")
        params.append(model_field.get_db_prep_save(default, connection))
    return ", ".join(names), ", ".join(values), params


class ImproperlyConfiguredImport(RuntimeError):
    def __init__(self, column: str) -> None:
        super().__init__(f"The import does not know what to write in column {column!r}.")


def _load(spool: IO[str]) -> None:
    spool.seek(0)
    with connection.cursor() as cursor:
        # Left over by an earlier import on this connection inside a longer transaction
        # (tests), or by one that failed half-way on SQLite.
        for table in (ROWS, UNIQUE, NEW):
            cursor.execute(f"DROP TABLE IF EXISTS {table}")
        if connection.vendor == "postgresql":
            cursor.execute(
                f"CREATE TEMP TABLE {ROWS} (md5 char(32) NOT NULL, address text, "
                "sha256 text, occurred_at timestamptz) ON COMMIT DROP"
            )
            raw = cursor.cursor  # psycopg 3: COPY streams the spool without parsing it again
            with raw.copy(f"COPY {ROWS} (md5, address, sha256, occurred_at) FROM STDIN") as copy:
                while block := spool.read(READ_BLOCK):
                    copy.write(block)
            return
        cursor.execute(
            f"CREATE TEMP TABLE {ROWS} (md5 TEXT NOT NULL, address TEXT, sha256 TEXT, "
            "occurred_at TEXT)"
        )
        insert = f"INSERT INTO {ROWS} VALUES (%s, %s, %s, %s)"  # noqa: S608  # constant names
        batch: list[tuple[str | None, ...]] = []
        for line in spool:
            batch.append(tuple(_copy_untext(part) for part in line.rstrip("\n").split("\t")))
            if len(batch) >= settings.OPTOUT_IMPORT_CHUNK_ROWS:
                cursor.executemany(insert, batch)
                batch.clear()
        if batch:
            cursor.executemany(insert, batch)


def _write(*, mailing_list: MailingList, detail: dict[str, object]) -> tuple[int, int]:
    """Contacts, suppressions and events from the loaded rows. Returns (unique, new)."""
    postgresql = connection.vendor == "postgresql"
    temp = "ON COMMIT DROP" if postgresql else ""
    now = timezone.now()
    contact_table = Contact._meta.db_table
    suppression_table = Suppression._meta.db_table
    event_table = ConsentEvent._meta.db_table
    with connection.cursor() as cursor:
        # One row per address: the earliest time it was unsubscribed wins.
        cursor.execute(
            f"CREATE TEMP TABLE {UNIQUE} (md5 {'char(32)' if postgresql else 'TEXT'} "
            f"PRIMARY KEY, address TEXT, sha256 TEXT, "
            f"occurred_at {'timestamptz' if postgresql else 'TEXT'}) {temp}"
        )
        cursor.execute(
            f"INSERT INTO {UNIQUE} SELECT md5, max(address), max(sha256), min(occurred_at) "  # noqa: S608
            f"FROM {ROWS} GROUP BY md5"
        )
        if postgresql:
            # Temporary tables have no statistics; without them the joins below plan badly.
            cursor.execute(f"ANALYZE {UNIQUE}")
        cursor.execute(f"SELECT count(*) FROM {UNIQUE}")  # noqa: S608
        unique = int(cursor.fetchone()[0])
        # Contacts known so far by an MD5 alone learn their address.
        cursor.execute(
            f"UPDATE {contact_table} SET address = u.address, sha256 = u.sha256 "  # noqa: S608
            f"FROM {UNIQUE} u WHERE {contact_table}.md5 = u.md5 "
            f"AND {contact_table}.sha256 IS NULL AND u.sha256 IS NOT NULL"
        )
        names, values, params = _columns(
            Contact,
            {
                "address": ("u.address", []),
                "md5": ("u.md5", []),
                "sha256": ("u.sha256", []),
                "created_at": ("%s", [now]),
            },
        )
        cursor.execute(
            f"INSERT INTO {contact_table} ({names}) SELECT {values} FROM {UNIQUE} u "  # noqa: S608
            # In index order: the md5 index then grows at its end instead of everywhere.
            "WHERE true ORDER BY u.md5 ON CONFLICT DO NOTHING",
            params,
        )
        cursor.execute(f"CREATE TEMP TABLE {NEW} (contact_id bigint PRIMARY KEY) {temp}")
        names, values, params = _columns(
            Suppression,
            {
                "contact_id": ("c.id", []),
                "profile_key": ("NULL", []),
                "mailing_list_id": ("%s", [mailing_list.pk]),
                "category_id": ("NULL", []),
                "created_at": ("%s", [now]),
            },
        )
        select = f"SELECT {values} FROM {UNIQUE} u JOIN {contact_table} c ON c.md5 = u.md5"  # noqa: S608
        if postgresql:
            # RETURNING names exactly the rows this import added, even against a concurrent
            # opt-out of the same address: its row wins, and ours is not counted as new.
            cursor.execute(
                f"WITH added AS (INSERT INTO {suppression_table} ({names}) {select} "  # noqa: S608
                f"ON CONFLICT DO NOTHING RETURNING contact_id) "
                f"INSERT INTO {NEW} SELECT contact_id FROM added",
                params,
            )
        else:
            # SQLite: the IMMEDIATE transaction holds the write lock, so nothing can slip
            # between this check and the insert.
            cursor.execute(
                f"INSERT INTO {NEW} SELECT c.id FROM {UNIQUE} u "  # noqa: S608
                f"JOIN {contact_table} c ON c.md5 = u.md5 WHERE NOT EXISTS ("
                f"SELECT 1 FROM {suppression_table} s WHERE s.contact_id = c.id "
                "AND s.mailing_list_id = %s AND s.category_id IS NULL)",
                [mailing_list.pk],
            )
            cursor.execute(
                f"INSERT INTO {suppression_table} ({names}) {select} "
                f"JOIN {NEW} n ON n.contact_id = c.id WHERE true ON CONFLICT DO NOTHING",
                params,
            )
        cursor.execute(f"SELECT count(*) FROM {NEW}")  # noqa: S608
        new = int(cursor.fetchone()[0])
        names, values, params = _columns(
            ConsentEvent,
            {
                "action": ("%s", [Action.OPT_OUT.value]),
                "scope": ("%s", [Scope.LIST.value]),
                "level": ("%s", [ConsentLevel.IDENTITY.value]),
                "source": ("%s", [Source.IMPORT.value]),
                "changed": ("%s", [True]),
                "contact_id": ("c.id", []),
                "profile_key": ("c.profile_key", []),
                "mailing_list_id": ("%s", [mailing_list.pk]),
                "occurred_at": ("COALESCE(u.occurred_at, %s)", [now]),
                "recorded_at": ("%s", [now]),
                "detail": ("%s", [detail]),
            },
        )
        cursor.execute(
            f"INSERT INTO {event_table} ({names}) SELECT {values} FROM {NEW} n "  # noqa: S608
            f"JOIN {contact_table} c ON c.id = n.contact_id JOIN {UNIQUE} u ON u.md5 = c.md5",
            params,
        )
        for table in (ROWS, UNIQUE, NEW):
            cursor.execute(f"DROP TABLE {table}")
    return unique, new


@transaction.atomic(durable=True)
def _commit(
    *, spool: IO[str], mailing_list: MailingList, detail: dict[str, object]
) -> tuple[int, int]:
    _load(spool)
    return _write(mailing_list=mailing_list, detail=detail)


def import_suppressions(
    *,
    mailing_list: MailingList,
    stream: IO[bytes],
    file_name: str,
    size: int = 0,
    job_id: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> ImportResult:
    """Import one export file into `mailing_list`. Idempotent; commits whole or not at all.

    Raises ImportFileUnreadable when the file is empty or of no known format; rows that are
    merely unusable are counted and reported, never fatal.
    """
    with tempfile.TemporaryFile(mode="w+", encoding="utf-8", newline="\n") as spool:
        result, parsed = parse_file(stream=stream, spool=spool, size=size, progress=progress)
        detail: dict[str, object] = {"file": file_name, "format": result.file_format}
        if job_id is not None:
            detail["import_job"] = job_id
        if parsed.rows:
            unique, new = _commit(spool=spool, mailing_list=mailing_list, detail=detail)
        else:
            unique = new = 0
    result.duplicates = parsed.rows - unique
    result.already_suppressed = unique - new
    result.suppressed = new
    logger.info(
        "Imported %s into list %s: %d rows, %d new, %d already, %d duplicates, %d rejected",
        result.file_format,
        mailing_list.pk,
        result.rows,
        new,
        result.already_suppressed,
        result.duplicates,
        result.invalid,
    )
    return result


# --- Jobs ---------------------------------------------------------------------------------


def create_import_job(*, job: ImportJob) -> ImportJob:
    """Save an uploaded job and queue it once the upload has committed."""
    if not job.file_name and job.file:
        job.file_name = (job.file.name or "").rsplit("/", 1)[-1]
    job.save()
    transaction.on_commit(partial(tasks.run_import.delay, job.pk))
    return job


def run_import_job(*, job_id: int) -> ImportJob | None:
    """Run one queued import; a second run of a finished job does nothing."""
    claimed = ImportJob.objects.filter(pk=job_id, status=ImportStatus.PENDING).update(
        status=ImportStatus.PARSING, started_at=timezone.now(), progress=0
    )
    if not claimed:
        return None
    job = ImportJob.objects.select_related("mailing_list").get(pk=job_id)

    def progress(percent: int) -> None:
        ImportJob.objects.filter(pk=job_id).update(progress=percent)

    try:
        with job.file.open("rb") as stream:
            result = import_suppressions(
                mailing_list=job.mailing_list,
                stream=stream,
                file_name=job.file_name,
                size=job.file.size or 0,
                job_id=job.pk,
                progress=progress,
            )
    except (ImportFileUnreadable, OSError, csv.Error, DatabaseError) as exc:
        logger.warning("Import job %s failed: %s", job_id, exc)
        ImportJob.objects.filter(pk=job_id).update(
            status=ImportStatus.FAILED, failure=str(exc), finished_at=timezone.now()
        )
        job.refresh_from_db()
        return job
    ImportJob.objects.filter(pk=job_id).update(
        status=ImportStatus.DONE,
        progress=100,
        file_format=result.file_format,
        rows=result.rows,
        suppressed=result.suppressed,
        already_suppressed=result.already_suppressed,
        duplicates=result.duplicates,
        skipped=result.skipped,
        invalid=result.invalid,
        errors=[reject.as_dict() for reject in result.errors],
        finished_at=timezone.now(),
    )
    job.refresh_from_db()
    return job


__all__ = [
    "FORMATS",
    "ImportFileUnreadable",
    "ImportResult",
    "Reject",
    "create_import_job",
    "detect_format",
    "import_suppressions",
    "parse_time",
    "run_import_job",
]
