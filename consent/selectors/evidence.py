"""The evidence of one contact: its whole consent timeline, as a document that can be checked.

The document is plain JSON data. Its content hash is the SHA-256 of its canonical
serialization (sorted keys, no spaces, UTF-8), so a saved copy — the JSON export or the
printable page, which carries the same JSON — can be verified later with `verify_evidence`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from html.parser import HTMLParser
from typing import Any

from django.core.signing import BadSignature, Signer
from django.db.models import Count, Max, Min, Model, Q, QuerySet

from consent.addresses import HEX_MD5, HEX_SHA256, InvalidAddress, parse_address
from consent.models import Action, ConsentEvent, Contact, Suppression, WebhookDelivery
from consent.selectors.compliance import receipts_for_events
from lists.models import MailingList

DOCUMENT_FORMAT = "optout-evidence/1"
HASH_KEY = "content_hash"
SIGNATURE_KEY = "signature"
SIGNATURE_SALT = "optout.evidence"
# The printable page carries the document in an element with this id (a data block).
DOCUMENT_ELEMENT_ID = "evidence-document"


def contact_for_lookup(*, query: str, lists: QuerySet[MailingList]) -> Contact | None:
    """The contact an address, an MD5 or a SHA-256 names, if it touched one of `lists`.

    An address is normalized and hashed, so an erased contact is still found by its address.
    """
    text = query.strip().lower()
    if HEX_SHA256.match(text):
        condition = Q(sha256=text)
    elif HEX_MD5.match(text):
        condition = Q(md5=text)
    else:
        try:
            condition = Q(sha256=parse_address(query).sha256)
        except InvalidAddress:
            return None
    contact = Contact.objects.filter(condition).first()
    if contact is None or not _touches(contact=contact, lists=lists):
        return None
    return contact


def _touches(*, contact: Contact, lists: QuerySet[MailingList]) -> bool:
    return (
        ConsentEvent.objects.filter(contact=contact, mailing_list__in=lists).exists()
        or suppressions_of(contact=contact, lists=lists).exists()
    )


def suppressions_of(*, contact: Contact, lists: QuerySet[MailingList]) -> QuerySet[Suppression]:
    """The suppressions that cover this contact now: its own and its person's."""
    covering = Q(contact=contact)
    if contact.profile_key:
        covering |= Q(profile_key=contact.profile_key)
    return (
        Suppression.objects.filter(covering, mailing_list__in=lists)
        .select_related("mailing_list", "category")
        .order_by("mailing_list__name", "category__name", "pk")
    )


# Of the related rows, the timeline shows only these: a list row has some twenty columns,
# each turned into Python for every event shown.
_RELATED_SHOWN = ("mailing_list__slug", "category__slug", "mailer__name")


def events_of(*, contact: Contact, lists: QuerySet[MailingList]) -> QuerySet[ConsentEvent]:
    return (
        ConsentEvent.objects.filter(contact=contact, mailing_list__in=lists)
        .select_related("mailing_list", "category", "mailer")
        .only(*(field.name for field in ConsentEvent._meta.concrete_fields), *_RELATED_SHOWN)
        .order_by("occurred_at", "pk")
    )


def _plain(value: object) -> object:
    """JSON-ready: datetimes as ISO 8601, models as their primary key."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Model):
        return value.pk
    if isinstance(value, Mapping):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def webhook_deliveries(*, event_ids: list[int]) -> dict[int, list[dict[str, object]]]:
    """The webhook deliveries of each event, with every attempt: who was told, and when.

    Two queries whatever the count: deliveries with their endpoint, then their attempts.
    """
    rows = (
        WebhookDelivery.objects.filter(event_id__in=event_ids)
        .select_related("webhook")
        .prefetch_related("attempt_log")
        .order_by("pk")
    )
    deliveries: dict[int, list[dict[str, object]]] = {}
    for row in rows:
        deliveries.setdefault(row.event_id, []).append(
            {
                "message_id": row.message_id,
                "endpoint": row.webhook.name,
                "url": row.webhook.url,
                "event_type": row.event_type,
                "created_at": _plain(row.created_at),
                "delivered_at": _plain(row.delivered_at),
                "gave_up_at": _plain(row.gave_up_at),
                "attempts": [
                    {
                        "attempted_at": _plain(attempt.attempted_at),
                        "status_code": attempt.status_code,
                        "error": attempt.error,
                        "duration_ms": attempt.duration_ms,
                    }
                    for attempt in sorted(row.attempt_log.all(), key=lambda a: a.attempted_at)
                ],
            }
        )
    return deliveries


def _contact_entry(contact: Contact) -> dict[str, Any]:
    return {
        "id": contact.pk,
        "address": contact.address,
        "erased": contact.address is None,
        "md5": contact.md5,
        "sha256": contact.sha256,
        "profile_key": contact.profile_key,
        "created_at": contact.created_at.isoformat(),
    }


def _suppression_entries(suppressions: list[Suppression]) -> list[dict[str, Any]]:
    return [
        {
            "id": row.pk,
            "list": row.mailing_list.slug,
            "category": row.category.slug if row.category else None,
            "applies_to": "profile" if row.profile_key else "address",
            "suppressed_at": row.created_at.isoformat(),
        }
        for row in suppressions
    ]


def _event_entries(events: list[ConsentEvent]) -> list[dict[str, Any]]:
    """The events with their webhook deliveries and mailer receipts: a fixed handful of
    queries for these events only, whatever their number."""
    receipts = receipts_for_events(events=events)
    deliveries = webhook_deliveries(event_ids=[event.pk for event in events])
    return [
        {
            "id": event.pk,
            "action": event.action,
            "scope": event.scope,
            "level": event.level,
            "source": event.source,
            "changed": event.changed,
            "list": event.mailing_list.slug,
            "category": event.category.slug if event.category else None,
            "mailer": event.mailer.name if event.mailer else None,
            "reason": event.reason,
            "occurred_at": event.occurred_at.isoformat(),
            "recorded_at": event.recorded_at.isoformat(),
            "ip": event.ip,
            "user_agent": event.user_agent,
            "request_id": event.request_id,
            "profile_key": event.profile_key,
            "detail": _plain(event.detail),
            "webhook_deliveries": deliveries.get(event.pk, []),
            "received_by": [
                {
                    "mailer": receipt.mailer.name,
                    "received_at": (
                        receipt.received_at.isoformat() if receipt.received_at else None
                    ),
                    "via": receipt.via,
                }
                for receipt in receipts.get(event.pk, [])
            ],
        }
        for event in events
    ]


def evidence_document(
    *, contact: Contact, lists: QuerySet[MailingList], generated_by: str, generated_at: datetime
) -> dict[str, Any]:
    """The contact's evidence as seen by someone who may see `lists`: every event."""
    events = list(events_of(contact=contact, lists=lists))
    suppressions = list(suppressions_of(contact=contact, lists=lists))
    list_ids = {event.mailing_list_id for event in events} | {
        row.mailing_list_id for row in suppressions
    }
    return {
        "format": DOCUMENT_FORMAT,
        "generated_at": generated_at.isoformat(),
        "generated_by": generated_by,
        "contact": _contact_entry(contact),
        "lists": [
            {"id": item.pk, "uuid": str(item.uuid), "slug": item.slug, "name": item.name}
            for item in MailingList.objects.filter(pk__in=list_ids).order_by("name", "pk")
        ],
        "suppressions": _suppression_entries(suppressions),
        "events": _event_entries(events),
    }


@dataclass(frozen=True)
class EventSummary:
    total: int
    opt_outs: int
    opt_ins: int
    unchanged: int
    first_at: datetime | None
    last_at: datetime | None


@dataclass(frozen=True)
class EvidencePage:
    """What the evidence page shows: the contact, its suppressions, the counts of all its
    events and one page of them. The exports, not this, are the complete document."""

    contact: dict[str, Any]
    suppressions: list[dict[str, Any]]
    events: list[dict[str, Any]]
    summary: EventSummary
    # Keyset cursors (event ids): the page after this one, the page before it.
    next_after: int | None
    previous_before: int | None


def event_summary(*, contact: Contact, lists: QuerySet[MailingList]) -> EventSummary:
    """Counts of all the contact's events on `lists`, in one grouped query (a handful of
    rows: one per action and changed-or-not; cheaper to compile than filtered aggregates)."""
    groups = (
        ConsentEvent.objects.filter(contact=contact, mailing_list__in=lists)
        .order_by()
        .values_list("action", "changed")
        .annotate(count=Count("pk"), first_at=Min("occurred_at"), last_at=Max("occurred_at"))
    )
    total = opt_outs = opt_ins = unchanged = 0
    first_at: datetime | None = None
    last_at: datetime | None = None
    for action, changed, count, first, last in groups:
        total += count
        opt_outs += count if action == Action.OPT_OUT else 0
        opt_ins += count if action == Action.OPT_IN else 0
        unchanged += 0 if changed else count
        first_at = first if first_at is None else min(first_at, first)
        last_at = last if last_at is None else max(last_at, last)
    return EventSummary(
        total=total,
        opt_outs=opt_outs,
        opt_ins=opt_ins,
        unchanged=unchanged,
        first_at=first_at,
        last_at=last_at,
    )


def _keyset(
    events: QuerySet[ConsentEvent], event_id: int, *, after: bool
) -> QuerySet[ConsentEvent] | None:
    """The events after (or before) event `event_id` in timeline order (occurred_at, id);
    None if that event is not in `events` (a stale or foreign cursor)."""
    cursor = events.filter(pk=event_id).values_list("occurred_at", flat=True).first()
    if cursor is None:
        return None
    if after:
        return events.filter(Q(occurred_at__gt=cursor) | Q(occurred_at=cursor, pk__gt=event_id))
    return events.filter(Q(occurred_at__lt=cursor) | Q(occurred_at=cursor, pk__lt=event_id))


def evidence_page(
    *,
    contact: Contact,
    lists: QuerySet[MailingList],
    after: int | None = None,
    before: int | None = None,
    size: int,
) -> EvidencePage:
    """One page of the timeline: `size` events after event `after`, or before event
    `before`, or the first ones. Keyset pagination: page 40 costs what page 1 costs."""
    events = events_of(contact=contact, lists=lists)
    earlier = None if before is None else _keyset(events, before, after=False)
    later = None if after is None else _keyset(events, after, after=True)
    if earlier is not None:
        window = list(earlier.order_by("-occurred_at", "-pk")[: size + 1])
        has_previous, has_next = len(window) > size, True
        shown = window[:size][::-1]
    else:
        # No cursor, or one that names no event of this timeline: the first page.
        window = list((events if later is None else later)[: size + 1])
        has_previous, has_next = later is not None, len(window) > size
        shown = window[:size]
    return EvidencePage(
        contact=_contact_entry(contact),
        suppressions=_suppression_entries(list(suppressions_of(contact=contact, lists=lists))),
        events=_event_entries(shown),
        summary=event_summary(contact=contact, lists=lists),
        next_after=shown[-1].pk if shown and has_next else None,
        previous_before=shown[0].pk if shown and has_previous else None,
    )


def canonical_json(document: Mapping[str, Any]) -> bytes:
    return json.dumps(
        document, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode()


def content_hash(document: Mapping[str, Any]) -> str:
    """SHA-256 over the canonical JSON of the document without its hash and signature."""
    body = {key: value for key, value in document.items() if key not in {HASH_KEY, SIGNATURE_KEY}}
    return "sha256:" + hashlib.sha256(canonical_json(body)).hexdigest()


def _signer() -> Signer:
    return Signer(salt=SIGNATURE_SALT)


def signed(document: Mapping[str, Any]) -> dict[str, Any]:
    """The document with its content hash, and Optout's signature of that hash.

    Anyone can recompute a hash; only this installation (its SECRET_KEY, or a fallback after
    a rotation) can make the signature, so a copy altered and re-hashed is told apart.
    """
    body = {key: value for key, value in document.items() if key not in {HASH_KEY, SIGNATURE_KEY}}
    digest = content_hash(body)
    return {**body, HASH_KEY: digest, SIGNATURE_KEY: _signer().signature(digest)}


class _DocumentBlock(HTMLParser):
    """Collects the text of the element whose id is DOCUMENT_ELEMENT_ID."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.depth = 0
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.depth:
            self.depth += 1
        elif ("id", DOCUMENT_ELEMENT_ID) in attrs:
            self.depth = 1

    def handle_endtag(self, tag: str) -> None:
        if self.depth:
            self.depth -= 1

    def handle_data(self, data: str) -> None:
        if self.depth:
            self.parts.append(data)


def document_from_copy(text: str) -> dict[str, Any] | None:
    """The document inside a saved JSON export or printable page; None if there is none."""
    stripped = text.lstrip()
    if not stripped.startswith("{"):
        block = _DocumentBlock()
        block.feed(text)
        stripped = "".join(block.parts).strip()
    try:
        document = json.loads(stripped)
    except ValueError:
        return None
    return document if isinstance(document, dict) else None


@dataclass(frozen=True)
class Verification:
    found: bool  # the copy holds an evidence document at all
    intact: bool  # its content still matches its hash
    issued_here: bool  # the hash carries this installation's signature
    content_hash: str

    @property
    def valid(self) -> bool:
        return self.found and self.intact and self.issued_here


def verification_of(text: str) -> Verification:
    """Check a saved copy: does it still carry the content its hash was made from?"""
    document = document_from_copy(text)
    claimed = document.get(HASH_KEY) if document else None
    if document is None or not isinstance(claimed, str):
        return Verification(found=False, intact=False, issued_here=False, content_hash="")
    intact = hmac.compare_digest(claimed, content_hash(document))
    signature = document.get(SIGNATURE_KEY)
    try:
        issued = isinstance(signature, str) and (
            _signer().unsign(f"{claimed}{_signer().sep}{signature}") == claimed
        )
    except BadSignature:
        issued = False
    return Verification(found=True, intact=intact, issued_here=issued, content_hash=claimed)
