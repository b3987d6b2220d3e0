"""Opt-out and opt-in: every channel calls these with its own `source`.

Entry points are durable transactions: once one returns, the opt-out and its evidence are
committed, and no caller can roll them back. Batch entry points are durable services of
their own built on the non-durable `record_*` helpers.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass

from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone

from consent import statements
from consent.addresses import parse_address
from consent.models import Action, ConsentEvent, Contact, Scope, Suppression
from consent.origins import Origin
from consent.services import webhooks
from consent.tokens import unsign_ids
from lists.models import Category, ConsentLevel, MailingList
from lists.selectors import HAS_WEBHOOKS, may_have_webhooks

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outcome:
    changed: bool
    event: ConsentEvent


def contact_for_address(*, address: str, profile_key: str = "") -> Contact:
    """The contact of `address`, created on first sight. Raises InvalidAddress.

    A profile key given here is kept; an existing key is never overwritten by an empty one.
    """
    parsed = parse_address(address)
    contact = Contact.objects.filter(sha256=parsed.sha256).first()
    # Known so far by an imported MD5 only: this is the address, complete the row.
    if contact is None and Contact.objects.filter(md5=parsed.md5, sha256=None).update(
        address=parsed.normalized, sha256=parsed.sha256
    ):
        contact = Contact.objects.get(sha256=parsed.sha256)
    if contact is None:
        try:
            with transaction.atomic():
                contact = Contact.objects.create(
                    address=parsed.normalized,
                    md5=parsed.md5,
                    sha256=parsed.sha256,
                    profile_key=profile_key,
                )
        except IntegrityError:
            # Another request created it between our read and our insert.
            contact = Contact.objects.get(sha256=parsed.sha256)
    elif profile_key and contact.profile_key != profile_key:
        Contact.objects.filter(pk=contact.pk).update(profile_key=profile_key)
        contact.profile_key = profile_key
    return contact


def new_suppression(
    *, contact: Contact, mailing_list: MailingList, category: Category | None
) -> Suppression:
    """The suppression `record_opt_out` creates for this contact, unsaved (for batches)."""
    return Suppression(
        mailing_list=mailing_list,
        category=category,
        **_subject(contact=contact, mailing_list=mailing_list),
    )


def _level(
    *, contact: Contact, mailing_list: MailingList, level: ConsentLevel | None = None
) -> ConsentLevel:
    """The level an opt-out applies at: the one asked for, else the list's.

    Channel level needs a profile key; without one, only the address can be suppressed.
    """
    wanted = level or mailing_list.consent_level
    if wanted == ConsentLevel.CHANNEL and contact.profile_key:
        return ConsentLevel.CHANNEL
    return ConsentLevel.IDENTITY


def _subject(
    *, contact: Contact, mailing_list: MailingList, level: ConsentLevel | None = None
) -> dict[str, object]:
    """Whom a new suppression belongs to: the person at channel level, else the address."""
    if _level(contact=contact, mailing_list=mailing_list, level=level) == ConsentLevel.CHANNEL:
        return {"contact": None, "profile_key": contact.profile_key}
    return {"contact": contact, "profile_key": None}


def _covering(*, contact: Contact) -> Q:
    """Suppressions that apply to this contact: its own, and its person's."""
    condition = Q(contact=contact)
    if contact.profile_key:
        condition |= Q(profile_key=contact.profile_key)
    return condition


def record_event(
    *,
    action: Action,
    contact: Contact,
    mailing_list: MailingList,
    category: Category | None,
    origin: Origin,
    changed: bool,
    level: ConsentLevel | None = None,
) -> ConsentEvent:
    """Append one event. Call inside the transaction that changed (or kept) the state.

    A change also writes its webhook outbox rows here, in the same transaction. A repeat
    (changed=False) is evidence only: receivers learn of state changes, not of every click.
    """
    event = new_event(
        action=action,
        contact=contact,
        mailing_list=mailing_list,
        category=category,
        origin=origin,
        changed=changed,
        level=level,
    )
    event.save(force_insert=True)
    if changed:
        webhooks.queue_webhooks(event=event)
    return event


def new_event(
    *,
    action: Action,
    contact: Contact,
    mailing_list: MailingList,
    category: Category | None,
    origin: Origin,
    changed: bool,
    level: ConsentLevel | None = None,
) -> ConsentEvent:
    """The event `record_event` appends, unsaved, so batch services can insert many at once.

    A batch that inserts changed events itself must queue their webhooks too.
    """
    return ConsentEvent(
        action=action,
        scope=Scope.CATEGORY if category is not None else Scope.LIST,
        level=_level(contact=contact, mailing_list=mailing_list, level=level),
        source=origin.source,
        changed=changed,
        contact=contact,
        profile_key=contact.profile_key,
        mailing_list=mailing_list,
        category=category,
        mailer=origin.mailer,
        reason=origin.reason,
        occurred_at=origin.time(),
        ip=origin.ip,
        user_agent=origin.user_agent,
        request_id=origin.request_id,
        detail=origin.detail,
    )


def _insert_suppression(
    *,
    contact: Contact | None,
    profile_key: str | None,
    mailing_list: MailingList,
    category: Category | None,
) -> bool:
    """Insert the suppression unless one exists already; True when this call created it.

    One `INSERT … ON CONFLICT DO NOTHING` instead of get_or_create's read, savepoint, insert
    and release. Two requests that race meet the partial unique constraints inside the
    database: the loser waits for the winner's commit and inserts nothing, so there is
    exactly one suppression and the transaction is never aborted. No conflict target is
    named, so every unique constraint (all four are partial) counts.
    """
    if connection.vendor not in ("postgresql", "sqlite"):  # pragma: no cover
        _, created = Suppression.objects.get_or_create(
            contact=contact, profile_key=profile_key, mailing_list=mailing_list, category=category
        )
        return created
    values = {
        "contact": contact.pk if contact is not None else None,
        "profile_key": profile_key,
        "mailing_list": mailing_list.pk,
        "category": category.pk if category is not None else None,
        "created_at": timezone.now(),
    }
    meta = Suppression._meta
    quote = connection.ops.quote_name
    by_name = {field.name: field for field in meta.concrete_fields}
    fields = [by_name[name] for name in values]
    # Table and column names come from _meta; every value goes as a parameter.
    table = quote(meta.db_table)
    columns = ", ".join(quote(str(field.column)) for field in fields)
    placeholders = ", ".join(["%s"] * len(fields))
    pk = quote(str(meta.pk.column if meta.pk else "id"))
    sql = (
        f"INSERT INTO {table} ({columns}) VALUES ({placeholders}) "  # noqa: S608
        f"ON CONFLICT DO NOTHING RETURNING {pk}"
    )
    params = [
        field.get_db_prep_save(value, connection)
        for field, value in zip(fields, values.values(), strict=True)
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone() is not None


@transaction.atomic(savepoint=False)
def record_opt_out(
    *,
    contact: Contact,
    mailing_list: MailingList,
    category: Category | None = None,
    origin: Origin,
    level: ConsentLevel | None = None,
) -> Outcome:
    """Suppress and append the event, inside the caller's transaction.

    `level` overrides the list's consent level for this one opt-out, when the channel that
    brought it says which it is (a journey platform's `optOutLevel`).
    """
    if category is not None and category.mailing_list_id != mailing_list.pk:
        raise ValueError("The category belongs to another list.")
    created = _insert_suppression(
        mailing_list=mailing_list,
        category=category,
        **_subject(contact=contact, mailing_list=mailing_list, level=level),  # type: ignore[arg-type]
    )
    event = record_event(
        action=Action.OPT_OUT,
        contact=contact,
        mailing_list=mailing_list,
        category=category,
        origin=origin,
        changed=created,
        level=level,
    )
    return Outcome(changed=created, event=event)


@transaction.atomic(savepoint=False)
def record_opt_in(
    *,
    contact: Contact,
    mailing_list: MailingList,
    category: Category | None = None,
    origin: Origin,
) -> Outcome:
    """Lift suppressions and append the event, inside the caller's transaction.

    Without a category this lifts the whole-list opt-out and every category opt-out of the
    list; with one, only that category's (a whole-list opt-out still wins).
    """
    if category is not None and category.mailing_list_id != mailing_list.pk:
        raise ValueError("The category belongs to another list.")
    rows = Suppression.objects.filter(_covering(contact=contact), mailing_list=mailing_list)
    if category is not None:
        rows = rows.filter(category=category)
    deleted, _ = rows.delete()
    event = record_event(
        action=Action.OPT_IN,
        contact=contact,
        mailing_list=mailing_list,
        category=category,
        origin=origin,
        changed=deleted > 0,
    )
    return Outcome(changed=deleted > 0, event=event)


def unsubscribe(
    *,
    contact: Contact,
    mailing_list: MailingList,
    category: Category | None = None,
    origin: Origin,
) -> Outcome:
    """Opt the contact out of the list (or one category of it). Idempotent. Durable.

    A repeat leaves one suppression and returns changed=False, but still appends its event:
    every request is evidence.
    """
    if connection.vendor == "postgresql" and not may_have_webhooks(mailing_list):
        with statements.durable():
            return _opt_out_in_one_statement(
                contact=contact, mailing_list=mailing_list, category=category, origin=origin
            )
    with transaction.atomic(durable=True):
        return record_opt_out(
            contact=contact, mailing_list=mailing_list, category=category, origin=origin
        )


def _opt_out_in_one_statement(
    *,
    contact: Contact,
    mailing_list: MailingList,
    category: Category | None,
    origin: Origin,
) -> Outcome:
    """`record_opt_out` as one autocommitted statement, for a list whose team has no webhook.

    The one-click hot path (PostgreSQL): no BEGIN, no COMMIT, one round trip for both rows.
    With an endpoint, the outbox rows must commit with the event: `record_opt_out` does it.
    """
    if category is not None and category.mailing_list_id != mailing_list.pk:
        raise ValueError("The category belongs to another list.")
    suppression = new_suppression(contact=contact, mailing_list=mailing_list, category=category)
    event = new_event(
        action=Action.OPT_OUT,
        contact=contact,
        mailing_list=mailing_list,
        category=category,
        origin=origin,
        changed=False,  # the statement says whether the suppression was new
    )
    statements.insert_opt_out(suppression=suppression, event=event)
    return Outcome(changed=event.changed, event=event)


def _opt_out_statement(
    *, contact_id: int, list_id: int, mailer_id: int | None, origin: Origin
) -> statements.OneClickResult | None:
    now = timezone.now()
    event = {
        "action": Action.OPT_OUT.value,
        "scope": Scope.LIST.value,
        "source": origin.source.value,
        "reason": origin.reason,
        "occurred_at": origin.occurred_at or now,
        "ip": origin.ip,
        "user_agent": origin.user_agent,
        "request_id": origin.request_id,
        "detail": origin.detail,
    }
    return statements.one_click_opt_out(
        contact_id=contact_id, list_id=list_id, mailer_id=mailer_id, event=event, now=now
    )


def _opt_out_claim(
    *, contact_id: int, list_id: int, mailer_id: int | None, origin: Origin
) -> bool | None:
    """The ORM way, inside the caller's transaction: queues the team's webhooks too."""
    found = statements.read_claim(contact_id=contact_id, list_id=list_id, mailer_id=mailer_id)
    if found is None:
        return None
    contact, mailing_list, mailer, has_webhooks = found
    setattr(mailing_list, HAS_WEBHOOKS, has_webhooks)
    outcome = record_opt_out(
        contact=contact,
        mailing_list=mailing_list,
        origin=dataclasses.replace(origin, mailer=mailer),
    )
    return outcome.changed


def record_opt_out_by_ids(
    *, contact_id: int, list_id: int, mailer_id: int | None, origin: Origin
) -> bool | None:
    """A token's whole-list opt-out by its ids, inside the caller's transaction.

    The mailer goes on the event while it still has access to the list (the origin's
    mailer is ignored). Returns whether the state changed, or None when the contact or the
    list no longer exists (nothing is written then). On PostgreSQL, for a team without a
    webhook endpoint, one statement reads the rows and writes the opt-out.
    """
    if connection.vendor == "postgresql":
        result = _opt_out_statement(
            contact_id=contact_id, list_id=list_id, mailer_id=mailer_id, origin=origin
        )
        if result is None:
            return None
        if not result.has_webhooks:
            return result.changed
        # The team has an endpoint: nothing was written; the outbox path below does it all.
    return _opt_out_claim(
        contact_id=contact_id, list_id=list_id, mailer_id=mailer_id, origin=origin
    )


def unsubscribe_token(*, token: str, origin: Origin) -> bool | None:
    """RFC 8058 one-click: opt the token's contact out of the token's list. Durable.

    `record_opt_out_by_ids` for the token's ids; None for a token that is not genuine too.
    In autocommit, the one statement needs no BEGIN and no COMMIT, and the outbox path
    commits its own transaction; inside a caller's transaction it is refused.
    """
    ids = unsign_ids(token)
    if ids is None:
        return None
    contact_id, list_id, *rest = ids
    with statements.durable():
        return record_opt_out_by_ids(
            contact_id=contact_id,
            list_id=list_id,
            mailer_id=rest[0] if rest else None,
            origin=origin,
        )


@transaction.atomic(durable=True)
def resubscribe(
    *,
    contact: Contact,
    mailing_list: MailingList,
    category: Category | None = None,
    origin: Origin,
) -> Outcome:
    """Opt the contact back in. History is never deleted: this appends an opt-in event."""
    return record_opt_in(
        contact=contact, mailing_list=mailing_list, category=category, origin=origin
    )


def unsubscribe_address(
    *,
    address: str,
    mailing_list: MailingList,
    category: Category | None = None,
    origin: Origin,
) -> Outcome:
    """Opt out an address given as text (hosted page, pixel). Raises InvalidAddress."""
    contact = contact_for_address(address=address)
    return unsubscribe(contact=contact, mailing_list=mailing_list, category=category, origin=origin)


def is_suppressed(
    *, contact: Contact, mailing_list: MailingList, category: Category | None = None
) -> bool:
    """May this contact not be mailed on this list (or this category of it)?

    A whole-list opt-out wins over every category choice.
    """
    scope = Q(category__isnull=True)
    if category is not None:
        scope |= Q(category=category)
    return Suppression.objects.filter(
        _covering(contact=contact), scope, mailing_list=mailing_list
    ).exists()
