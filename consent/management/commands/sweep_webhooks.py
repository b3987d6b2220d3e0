"""`manage.py sweep_webhooks`: queue every webhook delivery that is due (cron, or no beat)."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from consent.services.webhooks import sweep_webhooks


class Command(BaseCommand):
    help = "Queue outbound webhook deliveries whose next attempt is due."

    def handle(self, *args: object, **options: object) -> None:
        queued = sweep_webhooks()
        self.stdout.write(f"{queued} due deliveries queued")
