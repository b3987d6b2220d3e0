"""Queue every journey platform opt-out whose next attempt is due (cron, embedded mode).

With Celery beat running, the `retry-journey-opt-outs` entry does the same every minute.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from consent import tasks


class Command(BaseCommand):
    help = "Queue (or, without a broker, run) the decryption of due journey platform opt-outs."

    def handle(self, *args: Any, **options: Any) -> None:
        queued = tasks.retry_due_journey_requests()
        self.stdout.write(f"{queued} journey opt-out(s) queued.")
