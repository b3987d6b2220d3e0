"""Celery tasks of the consent app: ids in (or nothing), one service call, safe to run twice."""

from __future__ import annotations

from celery import shared_task

from consent import services


@shared_task(name="consent.send_honouring_digests", acks_late=True)
def send_honouring_digests() -> int:
    """Daily (beat): mail each list's owners the mailers late on it. Sent once per list a day."""
    return services.send_honouring_digests()
