"""Pass 1: read an export, validate each row and spell the usable ones for the staging table.

This is the only per-row Python of an import, so the common row takes a short path: a plain
ASCII address checked by one regex, the hashes straight from hashlib, and an epoch time
handed to the database as digits (see `writing.occurred_sql`). Anything unusual falls back
to the full rules (`normalize_address`, `parse_time`).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import IO

from django.conf import settings
from django.db import connection
from django.utils.translation import gettext_lazy as _

from consent.addresses import HEX_MD5, InvalidAddress, address_hashes, normalize_address
from consent.services.imports.formats import ImportFileUnreadable, Layout, detect_format, parse_time

READ_BLOCK = 1 << 16
NULL = "\\N"  # COPY text format's NULL

# Django's validate_email rules for plain ASCII addresses, so most rows skip the IDNA codec.
# Its character classes hold no backslash, tab or newline: a match needs no COPY escaping.
_FAST_ADDRESS = re.compile(
    r"^[-!#$%&'*+/=?^_`{}|~0-9a-z]+(\.[-!#$%&'*+/=?^_`{}|~0-9a-z]+)*"
    r"@((?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+)(?:[a-z0-9-]{2,63}(?<!-))$"
)


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


class RowRejected(Exception):
    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


def copy_text(value: str | None) -> str:
    """A value in PostgreSQL's COPY text format."""
    if value is None:
        return NULL
    if "\\" in value or "\t" in value or "\n" in value or "\r" in value:
        return (
            value.replace("\\", "\\\\")
            .replace("\t", "\\t")
            .replace("\n", "\\n")
            .replace("\r", "\\r")
        )
    return value


def copy_untext(value: str) -> str | None:
    if value == NULL:
        return None
    if "\\" not in value:
        return value
    return re.sub(r"\\(.)", lambda m: {"t": "\t", "n": "\n", "r": "\r"}.get(m[1], m[1]), value)


def is_epoch(text: str) -> bool:
    """Epoch seconds (up to 10 digits) or milliseconds (13): the database converts these.

    11 and 12 digits go through `parse_time`, which refuses years past 9999: the database
    would store them, and Python could not read them back.
    """
    return text.isascii() and text.isdigit() and (len(text) <= 10 or len(text) == 13)


def _time_text() -> Callable[[datetime], str]:
    """How the staging table spells a time for this database (resolved once, not per row)."""
    if connection.vendor == "sqlite":
        # Django's own SQLite spelling of an aware datetime: naive UTC text.
        return lambda value: str(value.astimezone(UTC).replace(tzinfo=None))
    return datetime.isoformat


class FileParser:
    """Reads one export; `blocks()` yields its usable rows as COPY text, `result` counts.

    Staged row: md5, address, sha256, occurred_at (text the database reads as a time),
    epoch (digits, see `is_epoch`). Hash lists stage the MD5 alone.
    """

    def __init__(self, stream: IO[bytes]) -> None:
        self.raw = stream
        self.text = io.TextIOWrapper(
            io.BufferedReader(stream, READ_BLOCK),  # type: ignore[type-var]  # any binary IO
            encoding="utf-8-sig",
            errors="replace",
            newline="",
        )
        first = ""
        for text_line in self.text:
            if text_line.strip():
                first = text_line.rstrip("\r\n")
                break
        if not first:
            raise ImportFileUnreadable(line=1, reason=_("the file is empty"))
        self.first = first
        self.layout, self.delimiter = detect_format(first)
        self.result = ImportResult(file_format=self.layout.file_format.name)
        self.staged = 0

    def position(self) -> int:
        """Bytes read so far, for the progress bar."""
        try:
            return int(self.raw.tell())
        except (OSError, ValueError):
            return 0

    def _reject(self, line: int, reason: str, *, kept: bool = False) -> None:
        if not kept:
            self.result.invalid += 1
        if len(self.result.errors) < settings.OPTOUT_IMPORT_REPORTED_ERRORS:
            self.result.errors.append(Reject(line=line, reason=reason, kept=kept))

    def blocks(self, rows_per_block: int) -> Iterator[str]:  # noqa: PLR0912, PLR0915  # the hot loop stays in one frame on purpose
        """The staged rows, `rows_per_block` at a time, as one string each."""
        layout: Layout = self.layout
        result = self.result
        reject = self._reject
        # csv counts lines from the header on; a headerless file starts with its first row.
        offset = 1 if layout.has_header else 0
        lines = self.text if layout.has_header else _prepend(self.first + "\n", self.text)
        rows = csv.reader(lines, delimiter=self.delimiter)
        md5_column = layout.md5
        key = md5_column if md5_column is not None else layout.address
        assert key is not None  # noqa: S101  # every format has one or the other
        time_column = layout.time
        day_first = layout.file_format.day_first
        only = layout.only
        time_text = _time_text()
        fast = _FAST_ADDRESS.match
        block: list[str] = []
        for cells in rows:
            if not cells:
                continue
            value = cells[key] if key < len(cells) else ""
            stripped = value.strip()
            if not stripped and not any(cell.strip() for cell in cells):
                continue  # a blank line
            result.rows += 1
            if only is not None:
                column, values = only
                if column >= len(cells) or cells[column].strip().lower() not in values:
                    result.skipped += 1
                    continue
            occurred = epoch = NULL
            if time_column is not None and time_column < len(cells):
                when = cells[time_column].strip()
                if is_epoch(when):
                    epoch = when
                elif when:
                    try:
                        parsed = parse_time(when, day_first=day_first)
                    except (ValueError, OverflowError):
                        reject(
                            rows.line_num + offset,
                            f"unreadable date {when[:40]!r}; import time used",
                            kept=True,
                        )
                    else:
                        if parsed is not None:
                            occurred = time_text(parsed)
            if md5_column is not None:
                md5 = stripped.lower()
                if not HEX_MD5.match(md5):
                    reject(rows.line_num + offset, "not an MD5 hash (32 hexadecimal digits)")
                    continue
                block.append(f"{md5}\t{NULL}\t{NULL}\t{occurred}\t{epoch}\n")
            else:
                if not stripped:
                    reject(rows.line_num + offset, "no address")
                    continue
                if "\ufffd" in value:
                    reject(rows.line_num + offset, "the address is not valid UTF-8")
                    continue
                address = stripped.strip("<>").strip().lower()
                if not (len(address) <= 320 and address.isascii() and fast(address)):
                    try:
                        address = normalize_address(value)
                    except InvalidAddress:
                        reject(rows.line_num + offset, "not a valid email address")
                        continue
                md5, sha256 = address_hashes(address)
                block.append(f"{md5}\t{copy_text(address)}\t{sha256}\t{occurred}\t{epoch}\n")
            if len(block) >= rows_per_block:
                self.staged += len(block)
                yield "".join(block)
                block.clear()
        if block:
            self.staged += len(block)
            yield "".join(block)


def _prepend(first: str, rest: Iterator[str]) -> Iterator[str]:
    yield first
    yield from rest
