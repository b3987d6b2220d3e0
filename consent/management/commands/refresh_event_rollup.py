"""`manage.py refresh_event_rollup`: fold new consent events into the reports' daily counts
(cron, or no beat; the bench runs it after seeding)."""

from __future__ import annotations

from argparse import ArgumentParser

from django.core.management.base import BaseCommand

from consent.services.rollup import refresh_event_rollup


class Command(BaseCommand):
    help = "Fold consent events above the watermark into the daily counts reports read."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--wait",
            type=float,
            default=None,
            help="Seconds to wait for open transactions to end (default: the setting).",
        )

    def handle(self, *args: object, **options: object) -> None:
        wait = options["wait"]
        result = refresh_event_rollup(wait=wait if isinstance(wait, float) else None)
        if result.skipped:
            self.stdout.write("another fold is running: nothing done")
            return
        self.stdout.write(
            f"{result.events} events folded into {result.groups} daily counts "
            f"(ids {result.folded_from + 1} to {result.folded_to})"
            + (f"; {result.lag} newer events left for the next run" if result.lag else "")
        )
