"""Celery tasks: an id in, one service call, safe to run twice.

`services` and `tasks` import each other as modules and look names up at call time.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from celery import Task, shared_task

from consent import services


@shared_task(acks_late=True, ignore_result=True)
def deliver_webhook(delivery_id: int) -> None:
    # Failures are not retried here: the row records when it is due again, and the sweep
    # queues it then, so a retry survives a broker restart.
    services.webhooks.send_delivery(delivery_id=delivery_id)


@shared_task(acks_late=True, ignore_result=True)
def sweep_webhooks() -> int:
    return services.webhooks.sweep_webhooks()


@shared_task(acks_late=True, ignore_result=True)
def run_import(job_id: int) -> None:
    services.imports.run_import_job(job_id=job_id)


# ---- One-click receipts (with a broker) ----------------------------------------------------


@shared_task(acks_late=True, ignore_result=True)
def apply_one_click_receipts() -> int:
    """Woken by one-click receipts (at most one per interval and process), and beat's sweep."""
    return services.one_click.apply_one_click_receipts()


# ---- Journey platforms (customer-managed opt-outs) -----------------------------------------


@shared_task(bind=True, acks_late=True, ignore_result=True)
def decrypt_journey_request(self: Task, journey_request_id: int) -> None:
    """Decrypt one received opt-out through the platform and record it."""
    delay = services.journey.process_journey_request(journey_request_id=journey_request_id)
    # With a worker, come back after the backoff. Run eagerly (embedded mode, tests), a
    # countdown would retry at once in this very call: the sweep does it when it is due.
    if delay is not None and not self.request.is_eager:
        self.apply_async((journey_request_id,), countdown=delay)


@shared_task(acks_late=True, ignore_result=True)
def process_due_journey_requests() -> int:
    """Woken by receipts (at most one per OPTOUT_JOURNEY_WAKE_SECONDS and process)."""
    return services.journey.process_due_journey_requests()


@shared_task(acks_late=True, ignore_result=True)
def retry_due_journey_requests() -> int:
    """Beat's sweep: claim the pending opt-outs whose next attempt is due, queue each."""
    ids = services.journey.claim_due_journey_requests()
    for journey_request_id in ids:
        services.journey.enqueue_journey_request(journey_request_id)
    return len(ids)


@shared_task(name="consent.send_honouring_digests", acks_late=True, ignore_result=True)
def send_honouring_digests() -> int:
    """Daily (beat): mail each list's owners the mailers late on it. Sent once per list a day."""
    return services.send_honouring_digests()


@shared_task(acks_late=True, ignore_result=True)
def refresh_event_rollup() -> int:
    """Beat: fold new consent events into the daily counts the reports read."""
    return services.rollup.refresh_event_rollup().events


@cache
def _celery_settings() -> Any:
    return apply_one_click_receipts.app.conf  # the app's settings object, found once


def run_eagerly() -> bool:
    """Do tasks run in this process, with no broker (the embedded mode)?

    Celery's own flag, read on each call: the test suite switches it per test.
    """
    return bool(_celery_settings().task_always_eager)
