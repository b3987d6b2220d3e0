"""Celery tasks of `consent`: an id in, one service call, safe to run twice.

Services and tasks import each other as modules and look names up at call time (R13).
"""

from __future__ import annotations

from celery import Task, shared_task

from consent import journey_selectors
from consent.services import journey

# ---- Journey platforms (customer-managed opt-outs) -----------------------------------------


@shared_task(bind=True, acks_late=True, ignore_result=True)
def decrypt_journey_request(self: Task, journey_request_id: int) -> None:
    """Decrypt one received opt-out through the platform and record it."""
    delay = journey.process_journey_request(journey_request_id=journey_request_id)
    # With a worker, come back after the backoff. Run eagerly (embedded mode, tests), a
    # countdown would retry at once in this very call: the sweep does it when it is due.
    if delay is not None and not self.request.is_eager:
        self.apply_async((journey_request_id,), countdown=delay)


@shared_task(acks_late=True, ignore_result=True)
def retry_due_journey_requests() -> int:
    """Beat's sweep: queue every pending opt-out whose next attempt is due."""
    ids = list(journey_selectors.due_journey_request_ids())
    for journey_request_id in ids:
        journey.enqueue_journey_request(journey_request_id)
    return len(ids)
