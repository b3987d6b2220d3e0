"""One import from file to committed rows: parse and stage, then write in one transaction."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import IO

from django.conf import settings
from django.db import transaction

from consent.services.imports import writing
from consent.services.imports.parsing import FileParser, ImportResult
from consent.services.imports.staging import StagingTable
from lists.models import MailingList

logger = logging.getLogger(__name__)

# Progress is written at most this often: each report ends the running COPY.
PROGRESS_SECONDS = 2.0


@transaction.atomic(durable=True)
def _commit(*, mailing_list: MailingList, detail: dict[str, object]) -> tuple[int, int]:
    return writing.write(mailing_list=mailing_list, detail=detail)


def import_suppressions(  # keyword-only, all of them needed by the job
    *,
    mailing_list: MailingList,
    stream: IO[bytes],
    file_name: str,
    size: int = 0,
    job_id: int | None = None,
    progress: Callable[[int], None] | None = None,
    writing_started: Callable[[], None] | None = None,
) -> ImportResult:
    """Import one export file into `mailing_list`. Idempotent; commits whole or not at all.

    Raises ImportFileUnreadable when the file is empty or of no known format (before any
    write); rows that are merely unusable are counted and reported, never fatal.
    """
    parser = FileParser(stream)
    result = parser.result
    detail: dict[str, object] = {"file": file_name, "format": result.file_format}
    if job_id is not None:
        detail["import_job"] = job_id
    with StagingTable() as stage:
        reported = time.monotonic()
        for block in parser.blocks(settings.OPTOUT_IMPORT_CHUNK_ROWS):
            stage.write(block)
            if progress is not None and size and time.monotonic() - reported >= PROGRESS_SECONDS:
                stage.pause()
                progress(min(99, parser.position() * 100 // size))
                reported = time.monotonic()
        stage.loaded()
        if writing_started is not None:
            writing_started()
        if parser.staged:
            unique, new = _commit(mailing_list=mailing_list, detail=detail)
        else:
            unique = new = 0
    result.duplicates = parser.staged - unique
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
