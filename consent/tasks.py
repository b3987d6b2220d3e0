"""Celery tasks: an id in, one service call, safe to run twice.

`services` and `tasks` import each other as modules and look names up at call time.
"""

from __future__ import annotations

from celery import shared_task

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
