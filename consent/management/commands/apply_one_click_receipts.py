"""Record the one-click receipts still waiting (cron, or after running without workers).

With Celery beat running, the `apply-one-click-receipts` entry does the same every minute.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from consent.services.one_click import apply_one_click_receipts


class Command(BaseCommand):
    help = "Record the one-click opt-outs received with a broker and not recorded yet."

    def handle(self, *args: Any, **options: Any) -> None:
        recorded = apply_one_click_receipts()
        self.stdout.write(f"{recorded} one-click opt-out(s) recorded.")
