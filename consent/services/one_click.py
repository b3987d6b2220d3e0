"""RFC 8058 one-click at scale: the request stores a receipt, a worker records the opt-out.

Embedded (tasks run eagerly, no worker), the request records the opt-out itself
(`unsubscribe_token`). With a broker, the request verifies the token, writes one narrow row
(`OneClickReceipt`: the token's ids and the request's traces), and answers once it is
committed: the opt-out is durable from then on. A worker turns receipts into suppressions
and events in batches (`apply_one_click_receipts`), woken at most once per
OPTOUT_ONE_CLICK_WAKE_SECONDS and process; beat's sweep takes whatever a lost wake-up left.
A receipt is deleted in the transaction that records its opt-out: none is lost, none is
applied twice.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction

from consent import statements, tasks
from consent.models import OneClickReceipt, Source
from consent.origins import Origin
from consent.services.core import record_opt_out_by_ids, unsubscribe_token
from consent.services.wakeups import Wakeup
from consent.tokens import unsign_ids

logger = logging.getLogger(__name__)

BATCH = 500  # receipts per transaction: one commit for many opt-outs, short row locks

wake_one_click_worker = Wakeup(
    name="one-click opt-outs",
    send=lambda countdown: tasks.apply_one_click_receipts.apply_async(countdown=countdown),
    interval=lambda: settings.OPTOUT_ONE_CLICK_WAKE_SECONDS,
)


def receive_one_click(*, token: str, origin: Origin) -> bool:
    """The one-click POST: True when the token is genuine and its opt-out is durable now.

    Without a worker the opt-out is recorded at once; with one, a receipt is stored and a
    worker woken. A forged or malformed token writes nothing.
    """
    if tasks.run_eagerly():
        return unsubscribe_token(token=token, origin=origin) is not None
    ids = unsign_ids(token)
    if ids is None:
        return False
    contact_id, list_id, *rest = ids
    with statements.durable():
        statements.insert_one_click_receipt(
            contact_id=contact_id,
            list_id=list_id,
            mailer_id=rest[0] if rest else None,
            received_at=origin.time(),
            ip=origin.ip,
            user_agent=origin.user_agent,
            request_id=origin.request_id,
        )
    transaction.on_commit(wake_one_click_worker)
    return True


def _claim(limit: int) -> list[OneClickReceipt]:
    rows = OneClickReceipt.objects.order_by("pk")
    if connection.features.has_select_for_update_skip_locked:
        # Two workers take different receipts instead of waiting for each other.
        rows = rows.select_for_update(skip_locked=True)
    # Applied in one order everywhere, so two workers holding receipts of the same people
    # (providers post twice) lock their suppressions in the same order: no deadlock.
    return sorted(rows[:limit], key=lambda r: (r.mailing_list_id, r.contact_id, r.pk))


def _origin(receipt: OneClickReceipt) -> Origin:
    return Origin(
        source=Source.ONE_CLICK,
        ip=receipt.ip,
        user_agent=receipt.user_agent,
        request_id=receipt.request_id,
        occurred_at=receipt.received_at,  # when the subscriber asked, not when it was applied
    )


def _apply(receipt: OneClickReceipt) -> None:
    changed = record_opt_out_by_ids(
        contact_id=receipt.contact_id,
        list_id=receipt.mailing_list_id,
        mailer_id=receipt.mailer_id,
        origin=_origin(receipt),
    )
    if changed is None:
        logger.warning(
            "One-click receipt for a contact or list that no longer exists: dropped",
            extra={"receipt": receipt.pk, "list": receipt.mailing_list_id},
        )


@dataclass(frozen=True)
class Batch:
    taken: int
    applied: int


def apply_one_click_batch(*, limit: int = BATCH) -> Batch:
    """Record the opt-outs of up to `limit` waiting receipts and delete them. Durable.

    One transaction for the batch. If it fails, the batch runs again one receipt at a time,
    each in a savepoint: a receipt that keeps failing stays (logged, listed in admin) and
    holds back no other. A receipt whose contact or list no longer exists is dropped with a
    log line (its token was genuine, so this only happens after an erasure).
    """
    try:
        with transaction.atomic(durable=True):
            receipts = _claim(limit)
            for receipt in receipts:
                _apply(receipt)
            _delete(receipts)
        return Batch(taken=len(receipts), applied=len(receipts))
    except Exception:  # whatever it was, the receipts are safe: go one by one
        logger.exception("A batch of one-click receipts failed; applying them one at a time")
    with transaction.atomic(durable=True):
        receipts = _claim(limit)
        done = []
        for receipt in receipts:
            try:
                with transaction.atomic():
                    _apply(receipt)
            except Exception:
                logger.exception(
                    "One-click receipt could not be recorded; it stays for the next run",
                    extra={"receipt": receipt.pk, "list": receipt.mailing_list_id},
                )
                continue
            done.append(receipt)
        _delete(done)
    return Batch(taken=len(receipts), applied=len(done))


def _delete(receipts: list[OneClickReceipt]) -> None:
    if receipts:
        OneClickReceipt.objects.filter(pk__in=[receipt.pk for receipt in receipts]).delete()


def apply_one_click_receipts(*, limit: int = BATCH) -> int:
    """Every waiting receipt that can be recorded, batch after batch (each committed on its
    own). Returns how many were recorded."""
    total = 0
    while True:
        batch = apply_one_click_batch(limit=limit)
        total += batch.applied
        # A short batch took the last ones; one that recorded nothing holds only failures.
        if batch.taken < limit or not batch.applied:
            return total
