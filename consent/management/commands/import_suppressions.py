"""`manage.py import_suppressions FILE --list SLUG`: import an ESP export now, in this process."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from consent.services.imports import ImportFileUnreadable, import_suppressions
from lists.models import MailingList

SHOWN_REJECTS = 20


class Command(BaseCommand):
    help = "Import unsubscribed addresses exported from another ESP into a list."

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("file", type=Path, help="CSV or text export from the ESP")
        parser.add_argument("--list", dest="slug", required=True, help="slug of the list")

    def handle(self, *args: object, file: Path, slug: str, **options: object) -> None:
        mailing_list = MailingList.objects.filter(slug=slug).first()
        if mailing_list is None:
            raise CommandError(f"No list with slug {slug!r}. Check the slug in admin.")
        try:
            stream = file.open("rb")
        except OSError as exc:
            raise CommandError(f"Cannot read {file}: {exc.strerror}.") from exc
        with stream:
            try:
                result = import_suppressions(
                    mailing_list=mailing_list,
                    stream=stream,
                    file_name=file.name,
                    size=os.fstat(stream.fileno()).st_size,
                )
            except ImportFileUnreadable as exc:
                raise CommandError(f"{file.name}: {exc.text}") from exc
        write = self.stdout.write
        write(f"format: {result.file_format}")
        write(f"rows read: {result.rows}")
        write(f"newly suppressed: {result.suppressed}")
        write(f"already suppressed: {result.already_suppressed}")
        write(f"duplicates in the file: {result.duplicates}")
        write(f"skipped (not opt-outs): {result.skipped}")
        write(f"rejected: {result.invalid}")
        for reject in result.errors[:SHOWN_REJECTS]:
            suffix = " (row kept)" if reject.kept else ""
            write(f"  line {reject.line}: {reject.reason}{suffix}")
