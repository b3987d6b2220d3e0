"""Journey platforms' customer-managed opt-outs: receive, decrypt later, record.

The endpoint only stores the encrypted pair (`receive_journey_opt_out`, one INSERT) and
answers; a task asks the platform what the pair means (`process_journey_request`, network,
no transaction) and records the opt-out (`record_journey_opt_out`, durable). A failure
leaves the row pending with its error and a next attempt; nothing is ever lost.
"""

from __future__ import annotations

import hashlib
import logging
import re
import urllib.parse
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from kombu.exceptions import OperationalError as BrokerUnavailable

from consent import journey_platform, statements, tasks
from consent.addresses import InvalidAddress
from consent.journey_platform import Decrypted, DecryptFailed, DecryptRejected
from consent.models import (
    JourneyChannel,
    JourneyOptOutRequest,
    JourneyRequestState,
    Source,
)
from consent.origins import Origin
from consent.services.core import contact_for_address, record_opt_out
from consent.services.wakeups import Wakeup
from lists.errors import OptoutError
from lists.models import ConsentLevel, JourneyIntegration
from lists.services import JOURNEY_MAILTO_TAG

logger = logging.getLogger(__name__)

# Encrypted values are URL-safe text: letters, digits and a few marks. Anything else
# (spaces inside, quotes, control characters) was never produced by an encryption.
_PARAM_CHARS = re.compile(r"^[A-Za-z0-9+/=_.~%:-]+$")
_EMAIL_PARAMS = re.compile(r"emailParams=([A-Za-z0-9+/=_.~%:-]+)", re.IGNORECASE)


class InvalidJourneyParams(OptoutError):
    code = "invalid_journey_params"
    http_status = 400
    message = _("%(name)s is missing or is not an encrypted value.")


def clean_journey_param(value: str | None, *, name: str) -> str:
    """The encrypted value as the platform meant it. Raises InvalidJourneyParams."""
    text = (value or "").strip()
    # A "+" sent unencoded in a query string arrives as a space; an encrypted value never
    # holds a space, so putting the "+" back is safe and saves a genuine opt-out.
    text = text.replace(" ", "+")
    if (
        not text
        or len(text) > settings.OPTOUT_JOURNEY_PARAM_MAX_LENGTH
        or not _PARAM_CHARS.match(text)
    ):
        raise InvalidJourneyParams(name=name)
    return text


def _digest(*, channel: str, params: str, pid: str) -> str:
    return hashlib.sha256(f"{channel}\n{params}\n{pid}".encode()).hexdigest()


def enqueue_journey_request(journey_request_id: int) -> None:
    """Queue the decryption. A broker outage loses nothing: the sweep finds the row."""
    try:
        tasks.decrypt_journey_request.delay(journey_request_id)
    except BrokerUnavailable:
        logger.warning(
            "Broker unavailable; the sweep will decrypt the journey opt-out later",
            extra={"journey_request": journey_request_id},
        )


# Receipts wake a worker that takes every due row (`process_due_journey_requests`), at most
# once per OPTOUT_JOURNEY_WAKE_SECONDS and process, so each row is picked up within the
# interval and a burst of opt-outs costs the broker one message per interval and process.
wake_journey_worker = Wakeup(
    name="journey opt-outs",
    send=lambda countdown: tasks.process_due_journey_requests.apply_async(countdown=countdown),
    interval=lambda: settings.OPTOUT_JOURNEY_WAKE_SECONDS,
)


def _first_attempt_at(now: datetime, *, eager: bool) -> datetime:
    if eager:
        # Decrypted in this process right after commit; the sweep is the safety net.
        return now + timedelta(seconds=settings.OPTOUT_JOURNEY_SWEEP_GRACE_SECONDS)
    return now  # due at once: the woken task claims due rows


def _schedule(journey_request_id: int, *, eager: bool) -> None:
    """After commit: decrypt the row now (no broker), else wake a worker up (debounced)."""
    if eager:
        transaction.on_commit(partial(enqueue_journey_request, journey_request_id))
    else:
        transaction.on_commit(wake_journey_worker)


def _row_values(
    *, channel: JourneyChannel, params: str, pid: str, origin: Origin, eager: bool
) -> dict[str, Any]:
    """Every column of a new row but its integration, by field name."""
    now = timezone.now()
    return {
        "channel": channel.value,
        "params": params,
        "pid": pid,
        "digest": _digest(channel=channel, params=params, pid=pid),
        "state": JourneyRequestState.PENDING.value,
        "attempts": 0,
        "last_error": "",
        "next_attempt_at": _first_attempt_at(now, eager=eager),
        "received_at": now,
        "done_at": None,
        "contact": None,
        "ip": origin.ip,
        "user_agent": origin.user_agent,
        "request_id": origin.request_id,
    }


@transaction.atomic(durable=True)
def receive_journey_opt_out(
    *,
    integration: JourneyIntegration,
    channel: JourneyChannel,
    params: str,
    pid: str = "",
    origin: Origin,
) -> JourneyOptOutRequest:
    """Store the encrypted opt-out for later decryption; the same pair twice is one row.

    An upsert on (integration, digest) that returns the id of the row whether it was new or
    not. Pass values through `clean_journey_param` first.
    """
    eager = tasks.run_eagerly()
    row = JourneyOptOutRequest(
        integration=integration,
        **_row_values(channel=channel, params=params, pid=pid, origin=origin, eager=eager),
    )
    JourneyOptOutRequest.objects.bulk_create(
        [row],
        update_conflicts=True,
        unique_fields=["integration", "digest"],
        update_fields=["digest"],  # unchanged: the first receipt's time and traces stay
    )
    # A repeat schedules the row again; the task finds it done (or still pending): safe.
    _schedule(row.pk, eager=eager)
    return row


def receive_journey_one_click(
    *, endpoint_key: str, params: str, pid: str, origin: Origin
) -> int | None:
    """The one-click endpoint's hot path: `receive_journey_opt_out` by endpoint key.

    One statement finds the active integration and upserts the row (autocommit: atomic on
    its own); returns the row's id, or None when no active integration has that key and
    nothing was stored. Pass values through `clean_journey_param` first. Durable: refused
    inside a caller's transaction, like every entry point.
    """
    eager = tasks.run_eagerly()
    values = _row_values(
        channel=JourneyChannel.ONE_CLICK, params=params, pid=pid, origin=origin, eager=eager
    )
    with statements.durable():
        pk = statements.upsert_journey_request(values=values, endpoint_key=endpoint_key)
    if pk is not None:
        _schedule(pk, eager=eager)
    return pk


def find_email_params(*texts: str) -> str | None:
    """The `emailParams` value carried by a mail's subject, body or address, if any."""
    for text in texts:
        match = _EMAIL_PARAMS.search(text or "")
        if match:
            value = urllib.parse.unquote(match.group(1))
            try:
                return clean_journey_param(value, name="emailParams")
            except InvalidJourneyParams:
                continue
    return None


def integration_for_recipient(address: str) -> JourneyIntegration | None:
    """The active integration whose mailto address (`…+journey-<key>@…`) this is."""
    local = address.strip().strip("<>").rpartition("@")[0].lower()
    _, _, tag = local.partition("+")
    if not tag.startswith(JOURNEY_MAILTO_TAG):
        return None
    key = tag.removeprefix(JOURNEY_MAILTO_TAG)
    return JourneyIntegration.objects.filter(endpoint_key=key, active=True).first()


def receive_journey_mail(
    *, integration: JourneyIntegration, email_params: str, origin: Origin
) -> JourneyOptOutRequest:
    """A mail to the integration's mailto address: its `emailParams` wait for decryption."""
    return receive_journey_opt_out(
        integration=integration,
        channel=JourneyChannel.MAILTO,
        params=clean_journey_param(email_params, name="emailParams"),
        origin=origin,
    )


def _query(row: JourneyOptOutRequest) -> dict[str, str]:
    if row.channel == JourneyChannel.MAILTO:
        return {"emailParams": row.params}
    return {"params": row.params, "pid": row.pid}


def retry_delay(*, attempt: int) -> int:
    """Exponential backoff after the n-th failed attempt, capped."""
    delay = settings.OPTOUT_JOURNEY_RETRY_BASE_SECONDS * 2 ** max(attempt - 1, 0)
    return int(min(delay, settings.OPTOUT_JOURNEY_RETRY_MAX_SECONDS))


def process_journey_request(*, journey_request_id: int) -> int | None:
    """Decrypt one pending opt-out and record it. Safe to run twice, or concurrently.

    Returns the seconds until the next attempt after a failure that will be retried, else
    None. Must run outside any transaction: it waits on the platform's API.
    """
    row = (
        JourneyOptOutRequest.objects.select_related("integration")
        .filter(pk=journey_request_id, state=JourneyRequestState.PENDING)
        .first()
    )
    if row is None:  # recorded, rejected or failed already
        return None
    try:
        decrypted = journey_platform.decrypt(row.integration, query=_query(row))
        record_journey_opt_out(journey_request_id=row.pk, decrypted=decrypted)
    except (DecryptRejected, InvalidAddress) as exc:
        return note_journey_failure(journey_request_id=row.pk, error=exc.text, permanent=True)
    except (DecryptFailed, NoListsToRecord) as exc:
        return note_journey_failure(journey_request_id=row.pk, error=exc.text, permanent=False)
    return None


def claim_due_journey_requests(*, now: datetime | None = None) -> list[int]:
    """Take one batch of due pending rows for this worker, oldest first.

    `FOR UPDATE SKIP LOCKED` lets two workers (a woken task, beat's sweep) claim at once
    without taking the same rows; the claim moves each row's next attempt
    OPTOUT_JOURNEY_SWEEP_GRACE_SECONDS ahead, a lease: a worker that dies holding it only
    delays the row until the lease ends and the sweep finds it due again.
    """
    now = now or timezone.now()
    with transaction.atomic(durable=True):
        ids = list(
            JourneyOptOutRequest.objects.select_for_update(skip_locked=True)
            .filter(state=JourneyRequestState.PENDING, next_attempt_at__lte=now)
            .order_by("next_attempt_at", "pk")
            .values_list("pk", flat=True)[: settings.OPTOUT_JOURNEY_SWEEP_BATCH]
        )
        lease = now + timedelta(seconds=settings.OPTOUT_JOURNEY_SWEEP_GRACE_SECONDS)
        JourneyOptOutRequest.objects.filter(pk__in=ids).update(next_attempt_at=lease)
    return ids


def process_due_journey_requests() -> int:
    """The woken task: decrypt and record every due row, one claimed batch at a time.

    Returns how many rows it took. A full batch wakes another task for the rest.
    """
    ids = claim_due_journey_requests()
    for journey_request_id in ids:
        process_journey_request(journey_request_id=journey_request_id)
    if len(ids) >= settings.OPTOUT_JOURNEY_SWEEP_BATCH:
        try:
            tasks.process_due_journey_requests.delay()
        except BrokerUnavailable:
            logger.warning("Broker unavailable; the sweep will decrypt journey opt-outs later")
    return len(ids)


class NoListsToRecord(OptoutError):
    code = "journey_integration_without_lists"
    message = _("The integration has no lists to record the opt-out on.")


def _level(decrypted: Decrypted) -> ConsentLevel:
    if decrypted.opt_out_level == ConsentLevel.CHANNEL and decrypted.profile_id:
        return ConsentLevel.CHANNEL
    return ConsentLevel.IDENTITY


@transaction.atomic(durable=True)
def record_journey_opt_out(*, journey_request_id: int, decrypted: Decrypted) -> bool:
    """Record a decrypted opt-out on every list of the integration; mark the row done.

    At channel level it covers every identity of the profile (the contact gets the
    platform's profile id as its profile key); otherwise that one address. Returns False
    when another worker recorded it first.
    """
    row = (
        JourneyOptOutRequest.objects.select_for_update()
        .select_related("integration")
        .get(pk=journey_request_id)
    )
    if row.state != JourneyRequestState.PENDING:
        return False
    lists = list(row.integration.lists.order_by("pk"))
    if not lists:
        raise NoListsToRecord
    level = _level(decrypted)
    contact = contact_for_address(
        address=decrypted.email_address,
        profile_key=decrypted.profile_id if level == ConsentLevel.CHANNEL else "",
    )
    origin = Origin(
        source=Source.JOURNEY_PLATFORM,
        ip=row.ip,
        user_agent=row.user_agent,
        request_id=row.request_id,
        # When the person acted (we received it), not when the platform answered us.
        occurred_at=row.received_at,
        detail={
            "platform": row.integration.kind,
            "integration": row.integration_id,
            "journey_request": row.pk,
            "channel": row.channel,
            **decrypted.detail,
        },
    )
    for mailing_list in lists:
        record_opt_out(contact=contact, mailing_list=mailing_list, origin=origin, level=level)
    row.state = JourneyRequestState.DONE
    row.done_at = timezone.now()
    row.contact = contact
    row.attempts += 1
    row.last_error = ""
    row.next_attempt_at = None
    row.save(
        update_fields=["state", "done_at", "contact", "attempts", "last_error", "next_attempt_at"]
    )
    return True


@transaction.atomic(durable=True)
def note_journey_failure(*, journey_request_id: int, error: str, permanent: bool) -> int | None:
    """Count a failed attempt. Returns the seconds until the next one, or None when final."""
    row = JourneyOptOutRequest.objects.select_for_update().get(pk=journey_request_id)
    if row.state != JourneyRequestState.PENDING:
        return None
    row.attempts += 1
    row.last_error = error[:500]
    delay: int | None = None
    if permanent:
        row.state = JourneyRequestState.REJECTED
        row.next_attempt_at = None
    elif row.attempts >= settings.OPTOUT_JOURNEY_MAX_ATTEMPTS:
        row.state = JourneyRequestState.FAILED
        row.next_attempt_at = None
    else:
        delay = retry_delay(attempt=row.attempts)
        row.next_attempt_at = timezone.now() + timedelta(seconds=delay)
    row.save(update_fields=["attempts", "last_error", "state", "next_attempt_at"])
    logger.warning(
        "Journey opt-out not decrypted (%s)",
        row.state,
        extra={"journey_request": row.pk, "attempt": row.attempts, "error": row.last_error},
    )
    return delay


@transaction.atomic(durable=True)
def retry_journey_requests(*, journey_request_ids: list[int]) -> int:
    """Give unfinished rows a fresh round of attempts now (admin's retry action).

    Rejected rows are included: a 4xx may come from a wrong decrypt URL, fixed since.
    """
    rows = list(
        JourneyOptOutRequest.objects.select_for_update()
        .filter(
            pk__in=journey_request_ids,
            state__in=[
                JourneyRequestState.PENDING,
                JourneyRequestState.FAILED,
                JourneyRequestState.REJECTED,
            ],
        )
        .values_list("pk", flat=True)
    )
    JourneyOptOutRequest.objects.filter(pk__in=rows).update(
        state=JourneyRequestState.PENDING, attempts=0, next_attempt_at=timezone.now()
    )
    for pk in rows:
        transaction.on_commit(partial(enqueue_journey_request, pk))
    return len(rows)
