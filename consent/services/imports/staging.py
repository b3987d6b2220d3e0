"""The staging table: the parsed rows of one import, in a temporary table of this session.

On PostgreSQL the rows stream into `COPY` while the file is still being read, so Python and
the database work at the same time; the table outlives the loading statements (it is no
`ON COMMIT DROP` table) and is dropped when the import ends. SQLite gets `executemany`.
"""

from __future__ import annotations

from contextlib import ExitStack
from types import TracebackType
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connection, transaction

from consent.services.imports.parsing import copy_untext

ROWS = "optout_import_rows"
COLUMNS = "md5, address, sha256, occurred_at, epoch"


class StagingTable:
    """`with StagingTable() as stage: stage.write(block)`, then `stage.loaded()`.

    `pause()` before any other query while loading: PostgreSQL keeps one `COPY` open across
    writes, and while it is open the connection runs nothing else.
    """

    def __init__(self) -> None:
        self.postgresql = connection.vendor == "postgresql"
        self._copy: Any = None
        self._stack = ExitStack()
        self._savepoint = ExitStack()

    def __enter__(self) -> StagingTable:
        if connection.in_atomic_block:
            # Called inside a transaction (tests): a failed COPY then rolls back to this
            # savepoint instead of leaving the caller's transaction unusable.
            self._savepoint.enter_context(transaction.atomic())
        with connection.cursor() as cursor:
            if self.postgresql:
                _session_memory(cursor)
            # Left over by an import that failed half-way on this connection.
            cursor.execute(f"DROP TABLE IF EXISTS {ROWS}")
            if self.postgresql:
                cursor.execute(
                    f"CREATE TEMP TABLE {ROWS} (md5 text NOT NULL, address text, "
                    "sha256 text, occurred_at timestamptz, epoch text)"
                )
            else:
                cursor.execute(
                    f"CREATE TEMP TABLE {ROWS} (md5 TEXT NOT NULL, address TEXT, "
                    "sha256 TEXT, occurred_at TEXT, epoch TEXT)"
                )
        return self

    def write(self, block: str) -> None:
        """Stage rows in COPY text format (one per line)."""
        if not self.postgresql:
            _insert(block)
            return
        if self._copy is None:
            raw = connection.cursor().cursor  # psycopg 3: COPY takes the text as it is
            self._copy = self._stack.enter_context(raw.copy(f"COPY {ROWS} ({COLUMNS}) FROM STDIN"))
        self._copy.write(block)

    def pause(self) -> None:
        """End the running COPY, if any: the rows written so far are in the table."""
        if self._copy is not None:
            self._copy = None
            self._stack.close()

    def loaded(self) -> None:
        """Every row is staged: end the COPY and release the savepoint, if any."""
        self.pause()
        self._savepoint.close()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._copy is not None:
            self._copy = None
            # An error aborts the COPY instead of committing half a file.
            self._stack.__exit__(exc_type, exc, traceback)
        self._savepoint.__exit__(exc_type, exc, traceback)
        try:
            with connection.cursor() as cursor:
                cursor.execute(f"DROP TABLE IF EXISTS {ROWS}")
        except DatabaseError:
            # A broken transaction or connection: the table goes with the session, and the
            # next import drops it first.
            if exc is None:
                raise


def _session_memory(cursor: Any) -> None:
    """Room for the temporary tables in this session's memory instead of on disk.

    PostgreSQL accepts `temp_buffers` only before the session's first temporary table, so a
    refusal (a second import on the same connection) is expected and harmless.
    """
    try:
        with transaction.atomic():
            cursor.execute(
                "SELECT set_config('temp_buffers', %s, false)",
                [settings.OPTOUT_IMPORT_SESSION_MEMORY],
            )
    except DatabaseError:
        pass


def _insert(block: str) -> None:
    insert = f"INSERT INTO {ROWS} ({COLUMNS}) VALUES (%s, %s, %s, %s, %s)"  # noqa: S608  # constant names
    # Split on "\n" only: COPY text escapes it, other line breaks stay part of a value.
    rows = [
        tuple(copy_untext(part) for part in line.split("\t")) for line in block.split("\n") if line
    ]
    with connection.cursor() as cursor:
        cursor.executemany(insert, rows)
