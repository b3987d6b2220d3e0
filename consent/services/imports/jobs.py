"""Import jobs: an upload saved in admin, run later by the `run_import` Celery task."""

from __future__ import annotations

import csv
import logging
from functools import partial

from django.db import DatabaseError, transaction
from django.utils import timezone

from consent import tasks
from consent.models import ImportJob, ImportStatus
from consent.services.imports.formats import ImportFileUnreadable
from consent.services.imports.loading import import_suppressions

logger = logging.getLogger(__name__)


def create_import_job(*, job: ImportJob) -> ImportJob:
    """Save an uploaded job and queue it once the upload has committed."""
    if not job.file_name and job.file:
        job.file_name = (job.file.name or "").rsplit("/", 1)[-1]
    job.save()
    transaction.on_commit(partial(tasks.run_import.delay, job.pk))
    return job


def run_import_job(*, job_id: int) -> ImportJob | None:
    """Run one queued import; a second run of a finished job does nothing.

    Progress: reading and staging the file fills the bar to 99 %; then the status says
    "writing" while the one transaction adds the rows.
    """
    claimed = ImportJob.objects.filter(pk=job_id, status=ImportStatus.PENDING).update(
        status=ImportStatus.PARSING, started_at=timezone.now(), progress=0
    )
    if not claimed:
        return None
    job = ImportJob.objects.select_related("mailing_list").get(pk=job_id)

    def progress(percent: int) -> None:
        ImportJob.objects.filter(pk=job_id).update(progress=percent)

    def writing() -> None:
        ImportJob.objects.filter(pk=job_id).update(status=ImportStatus.WRITING, progress=99)

    try:
        with job.file.open("rb") as stream:
            result = import_suppressions(
                mailing_list=job.mailing_list,
                stream=stream,
                file_name=job.file_name,
                size=job.file.size or 0,
                job_id=job.pk,
                progress=progress,
                writing_started=writing,
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
