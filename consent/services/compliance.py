"""Compliance writes: the download log, the daily honouring digest, and erasure.

Erasure is the one narrow exception to append-only events: it blanks the personal traces
(IP, user agent, address-bearing detail) of a contact's events and drops the address from
the contact, and nothing else. The contact keeps its MD5 and SHA-256, so its suppressions
still hold and hashed downloads and scrubs still match it; an `erased` event says who did it.
"""

from __future__ import annotations

import logging
import smtplib
from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from django.conf import settings
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import User
from django.contrib.contenttypes.models import ContentType
from django.core.mail import EmailMessage
from django.db import connection, transaction
from django.db.models import Q, Value
from django.db.models.functions import Replace
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from consent.models import (
    Action,
    ConsentEvent,
    Contact,
    DownloadKind,
    DownloadLog,
    HonouringDigest,
    Suppression,
    WebhookDelivery,
)
from consent.origins import Origin
from consent.selectors.compliance import HonouringStatus, Watermark, late_mailers
from consent.services.core import record_event
from lists.models import Mailer, MailingList

logger = logging.getLogger(__name__)

# Keys of an event's `detail` that hold personal data whatever their value.
PERSONAL_DETAIL_KEYS = frozenset(
    {"email", "address", "addresses", "ip", "user_agent", "from", "to", "reply_to", "sender"}
)
# A digest claimed by a worker that died is taken over after this long.
DIGEST_CLAIM_TIMEOUT = timedelta(hours=1)


@transaction.atomic(durable=True)
def record_download(
    *,
    mailer: Mailer,
    mailing_list: MailingList,
    kind: DownloadKind,
    output_format: str = "",
    since: datetime | None = None,
    rows: int,
    requested_at: datetime,
    watermark: Watermark,
    request_id: str = "",
) -> DownloadLog:
    """Log a download that finished streaming, or a scrub that was answered.

    Read `watermark` with `selectors.compliance.download_watermark` before the download
    query starts: opt-outs recorded while it streams are not claimed as delivered.
    """
    return DownloadLog.objects.create(
        mailer=mailer,
        mailing_list=mailing_list,
        kind=kind,
        format=output_format,
        since=since,
        rows=rows,
        requested_at=requested_at,
        covered_event_id=watermark.event_id,
        covered_until=watermark.recorded_at,
        request_id=request_id,
    )


# Honouring digest ---------------------------------------------------------------------


def list_owners(*, mailing_list: MailingList) -> list[str]:
    """Addresses of the active users of the list's team who have one."""
    return list(
        User.objects.filter(groups=mailing_list.team_id, is_active=True)
        .exclude(email="")
        .order_by("email")
        .values_list("email", flat=True)
        .distinct()
    )


def _claim_digest(
    *, mailing_list: MailingList, day: date, late: int, now: datetime
) -> HonouringDigest | None:
    """Take the right to send today's digest of this list; None if it is sent or taken."""
    with transaction.atomic(durable=True):
        digest, _ = HonouringDigest.objects.get_or_create(
            mailing_list=mailing_list, day=day, defaults={"late_mailers": late}
        )
    # One conditional UPDATE: of two workers running at once, exactly one claims it.
    claimed = (
        HonouringDigest.objects.filter(pk=digest.pk, sent_at__isnull=True)
        .filter(Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - DIGEST_CLAIM_TIMEOUT))
        .update(claimed_at=now, late_mailers=late)
    )
    return digest if claimed else None


def _digest_message(
    *, mailing_list: MailingList, late: list[HonouringStatus], recipients: list[str]
) -> EmailMessage:
    with translation.override(mailing_list.default_language):
        context = {
            "mailing_list": mailing_list,
            "late": late,
            "dashboard_url": settings.OPTOUT_PUBLIC_URL + reverse("compliance:honouring"),
        }
        subject = render_to_string("compliance/digest_subject.txt", context).strip()
        body = render_to_string("compliance/digest_body.txt", context)
    return EmailMessage(subject=subject, body=body, to=recipients)


def send_honouring_digests(*, now: datetime | None = None) -> int:
    """Mail each list's owners the mailers that are late on it; at most once a day per list.

    Lists where every mailer is on time get nothing. Returns how many digests were sent.
    """
    now = now or timezone.now()
    day = timezone.localdate(now)
    by_list: dict[int, list[HonouringStatus]] = defaultdict(list)
    for status in late_mailers(lists=MailingList.objects.all(), now=now):
        by_list[status.mailing_list.pk].append(status)
    sent = 0
    for late in by_list.values():
        mailing_list = late[0].mailing_list
        recipients = list_owners(mailing_list=mailing_list)
        if not recipients:
            logger.warning("list %s has late mailers but no owner with an address", mailing_list.pk)
            continue
        digest = _claim_digest(mailing_list=mailing_list, day=day, late=len(late), now=now)
        if digest is None:
            continue
        message = _digest_message(mailing_list=mailing_list, late=late, recipients=recipients)
        try:
            message.send()  # outside any transaction: the claim is already committed
        except (smtplib.SMTPException, OSError):
            # Release the claim so the retry (or tomorrow's run) sends it.
            HonouringDigest.objects.filter(pk=digest.pk).update(claimed_at=None)
            logger.exception("honouring digest of list %s could not be sent", mailing_list.pk)
            raise
        HonouringDigest.objects.filter(pk=digest.pk).update(
            sent_at=timezone.now(), recipients=len(recipients)
        )
        sent += 1
    return sent


# Erasure --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Erasure:
    contact: Contact
    changed: bool
    events_cleaned: int
    erased_events: list[ConsentEvent]


def _without_address(value: object, *, address: str) -> tuple[bool, object]:
    """(keep, cleaned): drop keys and items that hold the address or personal data.

    Only ever removes: the trigger accepts a detail that the old one contains (jsonb @>).
    """
    if isinstance(value, dict):
        cleaned = {}
        for key, item in value.items():
            if key.lower() in PERSONAL_DETAIL_KEYS:
                continue
            keep, new = _without_address(item, address=address)
            if keep:
                cleaned[key] = new
        return True, cleaned
    if isinstance(value, list):
        items = [_without_address(item, address=address) for item in value]
        return True, [new for keep, new in items if keep]
    if isinstance(value, str):
        return address not in value.lower(), value
    return True, value


def _scrub_webhook_payloads(*, contact: Contact, address: str) -> None:
    """Outbox rows keep the message as sent (or still to send): drop the address there too.

    A delivery still pending then goes out without it; receivers that already got it are
    told of the erasure by the `erased` event's own webhook, where they subscribe to it.
    """
    deliveries = WebhookDelivery.objects.filter(event__contact=contact).only("pk", "payload")
    for delivery in deliveries:
        _, cleaned = _without_address(delivery.payload, address=address)
        if cleaned != delivery.payload:
            WebhookDelivery.objects.filter(pk=delivery.pk).update(payload=cleaned)


def _scrub_admin_log(*, contact: Contact, address: str, placeholder: str) -> None:
    """Admin's history keeps each object's str(): for a contact and its suppressions, the
    address. Replace it there too, or the address survives in `django_admin_log`."""
    LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(Contact), object_id=str(contact.pk)
    ).update(object_repr=placeholder)
    LogEntry.objects.filter(object_repr__contains=address).update(
        object_repr=Replace("object_repr", Value(address), Value(placeholder))
    )


@transaction.atomic(durable=True)
def forget_contact(*, contact: Contact, origin: Origin, erased_by: str) -> Erasure:
    """Erase the address and personal traces of a contact; keep it suppressed by hash.

    `erased_by` names the person who asked (it goes into the `erased` event's detail). A
    contact already erased is left alone and answers changed=False.
    """
    locked = Contact.objects.select_for_update().get(pk=contact.pk)
    if locked.address is None:
        return Erasure(contact=locked, changed=False, events_cleaned=0, erased_events=[])
    address = locked.address.lower()
    events = ConsentEvent.objects.filter(contact=locked)
    details: dict[int, dict[str, object]] = {}
    for pk, detail in events.values_list("pk", "detail"):
        _, cleaned = _without_address(detail, address=address)
        if cleaned != detail:
            details[pk] = cleaned  # type: ignore[assignment]  # a dict stays a dict
    if connection.vendor == "postgresql":
        # The trigger lets this transaction, and no other, blank the traces.
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config('optout.erasure', 'on', true)")
    cleaned_count = events.erase_traces(details=details)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config('optout.erasure', 'off', true)")
    _scrub_webhook_payloads(contact=locked, address=address)
    Contact.objects.filter(pk=locked.pk).update(address=None)
    locked.address = None
    _scrub_admin_log(contact=locked, address=address, placeholder=str(locked))
    list_ids = set(events.values_list("mailing_list_id", flat=True)) | set(
        Suppression.objects.filter(contact=locked).values_list("mailing_list_id", flat=True)
    )
    marked = replace(origin, detail={**origin.detail, "erased_by": erased_by})
    erased_events = [
        record_event(
            action=Action.ERASED,
            contact=locked,
            mailing_list=mailing_list,
            category=None,
            origin=marked,
            changed=True,
        )
        for mailing_list in MailingList.objects.filter(pk__in=list_ids).order_by("pk")
    ]
    logger.info("contact %s erased by %s", locked.pk, erased_by)
    return Erasure(
        contact=locked, changed=True, events_cleaned=cleaned_count, erased_events=erased_events
    )
