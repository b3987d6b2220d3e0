"""The exports we read: how each ESP names its columns, and how it writes a time."""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

from django.utils.translation import gettext_lazy as _

from consent.addresses import HEX_MD5
from lists.errors import OptoutError


class ImportFileUnreadable(OptoutError):
    code = "import_file_unreadable"
    message = _("line %(line)d: %(reason)s")


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
