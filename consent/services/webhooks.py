"""Outbound webhooks: an outbox row per endpoint in the event's transaction, sent after commit.

Each message is signed per the Standard Webhooks spec (`webhook-id`, `webhook-timestamp`,
`webhook-signature`). Delivery is at-least-once: receivers deduplicate on `webhook-id`.
Retries follow `OPTOUT_WEBHOOK_RETRY_SCHEDULE`; the sweep (beat, `manage.py sweep_webhooks`)
re-queues every row that is due, so a lost task or a broker outage loses no message.
"""

from __future__ import annotations

import json
import logging
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from standardwebhooks.webhooks import Webhook as Signer

from consent import tasks
from consent.models import Action, ConsentEvent, WebhookAttempt, WebhookDelivery
from lists.models import Webhook, WebhookEventType
from lists.selectors import may_have_webhooks

logger = logging.getLogger(__name__)

EVENT_TYPES = {Action.OPT_OUT: WebhookEventType.OPT_OUT, Action.OPT_IN: WebhookEventType.OPT_IN}
ERROR_MAX = 500
USER_AGENT = "Optout-Webhooks/1"


def event_payload(*, event: ConsentEvent, event_type: str) -> dict[str, object]:
    """The JSON body: Standard Webhooks' `type`, `timestamp`, `data` envelope."""
    contact = event.contact
    return {
        "type": event_type,
        "timestamp": event.recorded_at.isoformat(),
        "data": {
            "event_id": event.pk,
            "action": event.action,
            "scope": event.scope,
            "level": event.level,
            "source": event.source,
            "reason": event.reason,
            "occurred_at": event.occurred_at.isoformat(),
            "list": {"uuid": str(event.mailing_list.uuid), "slug": event.mailing_list.slug},
            "category": event.category.slug if event.category_id and event.category else None,
            "contact": {
                "email": contact.address,
                "md5": contact.md5,
                "sha256": contact.sha256,
                "profile_key": event.profile_key or None,
            },
        },
    }


def queue_webhooks(*, event: ConsentEvent) -> list[WebhookDelivery]:
    """Write one outbox row per matching endpoint; enqueue each after commit.

    Call inside the transaction that wrote the event (`record_event` does), so the message
    exists exactly when the change does.
    """
    return queue_webhooks_for_events(events=[event])


def queue_webhooks_for_events(*, events: Sequence[ConsentEvent]) -> list[WebhookDelivery]:
    """`queue_webhooks` for a batch (S2S reports): one endpoint lookup per list and type."""
    endpoints_by_key: dict[tuple[int, str], list[Webhook]] = {}
    rows: list[WebhookDelivery] = []
    now = timezone.now()
    for event in events:
        event_type = EVENT_TYPES.get(Action(event.action))
        if event_type is None:
            continue
        key = (event.mailing_list_id, event_type.value)
        if key not in endpoints_by_key:
            mailing_list = event.mailing_list
            if not may_have_webhooks(mailing_list):
                endpoints_by_key[key] = []
                continue
            endpoints_by_key[key] = [
                endpoint
                for endpoint in Webhook.objects.filter(active=True, team_id=mailing_list.team_id)
                .filter(Q(lists=mailing_list) | Q(lists=None))
                .distinct()
                if event_type.value in endpoint.event_types
            ]
        endpoints = endpoints_by_key[key]
        if not endpoints:
            continue
        payload = event_payload(event=event, event_type=event_type.value)
        rows += [
            WebhookDelivery(
                webhook=endpoint,
                event=event,
                message_id=f"msg_{uuid.uuid4().hex}",
                event_type=event_type.value,
                payload=payload,
                next_attempt_at=now,
            )
            for endpoint in endpoints
        ]
    if not rows:
        return []
    deliveries = WebhookDelivery.objects.bulk_create(rows)
    for delivery in deliveries:
        transaction.on_commit(partial(tasks.deliver_webhook.delay, delivery.pk))
    return deliveries


class DeliveryFailed(Exception):
    def __init__(self, *, status_code: int | None, error: str) -> None:
        self.status_code = status_code
        self.error = error[:ERROR_MAX]
        super().__init__(self.error)


@dataclass(frozen=True)
class DeliveryResult:
    delivered: bool
    status_code: int | None
    error: str


def _claim(*, delivery_id: int, force: bool) -> WebhookDelivery | None:
    """Take the row for one attempt, or None when it is delivered, abandoned or not due.

    The conditional UPDATE is the lock: of two workers (a retry and the sweep), one wins.
    """
    now = timezone.now()
    lease_until = now + timedelta(seconds=settings.OPTOUT_WEBHOOK_LEASE_SECONDS)
    rows = WebhookDelivery.objects.filter(pk=delivery_id, delivered_at=None)
    if not force:
        rows = rows.filter(gave_up_at=None, next_attempt_at__lte=now)
    if not rows.update(next_attempt_at=lease_until, gave_up_at=None):
        return None
    return WebhookDelivery.objects.select_related("webhook").get(pk=delivery_id)


def _post(*, delivery: WebhookDelivery) -> int:
    """Sign and POST the message. Returns the status; raises DeliveryFailed otherwise."""
    body = json.dumps(delivery.payload, separators=(",", ":"), sort_keys=True)
    sent_at = timezone.now()
    signature = Signer(delivery.webhook.secret).sign(delivery.message_id, sent_at, body)
    request = urllib.request.Request(  # noqa: S310  # the URL field only admits http(s)
        delivery.webhook.url,
        data=body.encode(),
        method="POST",
        headers={
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            "webhook-id": delivery.message_id,
            "webhook-timestamp": str(int(sent_at.timestamp())),
            "webhook-signature": signature,
        },
    )
    try:
        with urllib.request.urlopen(  # noqa: S310  # see above
            request, timeout=settings.OPTOUT_WEBHOOK_TIMEOUT
        ) as response:
            status = int(response.status)
    except urllib.error.HTTPError as exc:
        raise DeliveryFailed(status_code=exc.code, error=f"HTTP {exc.code}") from exc
    except TimeoutError as exc:
        raise DeliveryFailed(status_code=None, error="timeout") from exc
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        if isinstance(reason, TimeoutError):
            raise DeliveryFailed(status_code=None, error="timeout") from exc
        raise DeliveryFailed(status_code=None, error=str(reason)) from exc
    if not 200 <= status < 300:
        raise DeliveryFailed(status_code=status, error=f"HTTP {status}")
    return status


def send_delivery(*, delivery_id: int, force: bool = False) -> DeliveryResult | None:
    """One attempt at one outbox row. No transaction is open while the request is in flight.

    Returns None when there was nothing to do (delivered, abandoned, or another worker has
    it). `force` (admin's resend) also revives an abandoned row.
    """
    delivery = _claim(delivery_id=delivery_id, force=force)
    if delivery is None:
        return None
    started = time.monotonic()
    attempted_at = timezone.now()
    status: int | None
    try:
        status = _post(delivery=delivery)
        error = ""
    except DeliveryFailed as exc:
        status, error = exc.status_code, exc.error
    duration_ms = int((time.monotonic() - started) * 1000)
    delivered = not error
    attempts = delivery.attempts + 1
    schedule = settings.OPTOUT_WEBHOOK_RETRY_SCHEDULE
    changes: dict[str, object] = {
        "attempts": attempts,
        "last_status_code": status,
        "last_error": error,
    }
    if delivered:
        changes.update(delivered_at=timezone.now(), next_attempt_at=None)
    elif attempts > len(schedule):
        changes.update(gave_up_at=timezone.now(), next_attempt_at=None)
        logger.warning("Gave up webhook delivery %s after %d attempts", delivery.pk, attempts)
    else:
        changes["next_attempt_at"] = timezone.now() + timedelta(seconds=schedule[attempts - 1])
    with transaction.atomic():
        WebhookAttempt.objects.create(
            delivery=delivery,
            attempted_at=attempted_at,
            status_code=status,
            error=error,
            duration_ms=duration_ms,
        )
        WebhookDelivery.objects.filter(pk=delivery.pk).update(**changes)
    if not delivered:
        logger.info("Webhook delivery %s failed (%s)", delivery.pk, error)
    return DeliveryResult(delivered=delivered, status_code=status, error=error)


def due_deliveries(*, now: datetime | None = None, limit: int | None = None) -> list[int]:
    """Ids of pending rows whose next attempt is due, oldest first."""
    rows = WebhookDelivery.objects.filter(
        delivered_at=None, gave_up_at=None, next_attempt_at__lte=now or timezone.now()
    ).order_by("next_attempt_at", "pk")
    return list(rows.values_list("pk", flat=True)[: limit or settings.OPTOUT_WEBHOOK_SWEEP_BATCH])


def sweep_webhooks() -> int:
    """Queue every due delivery; the claim in `send_delivery` keeps doubles harmless."""
    ids = due_deliveries()
    for delivery_id in ids:
        tasks.deliver_webhook.delay(delivery_id)
    return len(ids)


def resend_deliveries(*, delivery_ids: list[int]) -> int:
    """Admin's resend: make these rows due now (even abandoned ones) and queue them."""
    count = WebhookDelivery.objects.filter(pk__in=delivery_ids, delivered_at=None).update(
        next_attempt_at=timezone.now(), gave_up_at=None
    )
    redeliver = WebhookDelivery.objects.filter(pk__in=delivery_ids).exclude(delivered_at=None)
    # A delivered message sent again keeps its id, so receivers can deduplicate.
    count += redeliver.update(delivered_at=None, next_attempt_at=timezone.now())
    for delivery_id in delivery_ids:
        transaction.on_commit(partial(tasks.deliver_webhook.delay, delivery_id))
    return count
