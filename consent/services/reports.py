"""What mailers send in bulk: opt-outs reported server-to-server, and scrub questions.

Both take whole batches and look rows up by the chunk (`OPTOUT_LOOKUP_CHUNK_ROWS` values per
query, then set lookups in Python), so a batch costs a handful of queries per chunk instead
of several per address. On PostgreSQL a scrub sends each kind of hash as one array instead.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connections, transaction
from django.db.models import Exists, F, Lookup, OuterRef, Q, QuerySet

from consent.addresses import (
    HEX_MD5,
    HEX_SHA256,
    Address,
    InvalidAddress,
    parse_address,
)
from consent.models import Action, ConsentEvent, Contact, Suppression
from consent.origins import Origin
from consent.selectors import suppressions_in_scope
from consent.services import webhooks
from consent.services.contacts import contacts_for_addresses
from consent.services.core import new_event, new_suppression, record_opt_out
from lists.models import Category, MailingList


@dataclass(frozen=True)
class ReportResult:
    received: int
    invalid: int
    duplicates: int
    newly_suppressed: int
    already_suppressed: int


def _covered_contact_ids(
    *, contacts: Sequence[Contact], mailing_list: MailingList, category: Category | None
) -> set[int]:
    """Ids of the contacts an existing suppression already covers (their own or their person's)."""
    rows = suppressions_in_scope(mailing_list=mailing_list, category=category)
    size = settings.OPTOUT_LOOKUP_CHUNK_ROWS
    covered: set[int] = set()
    for start in range(0, len(contacts), size):
        part = contacts[start : start + size]
        ids = [c.pk for c in part]
        profiles = {c.profile_key for c in part if c.profile_key}
        hits = rows.filter(Q(contact_id__in=ids) | Q(profile_key__in=profiles)).values_list(
            "contact_id", "profile_key"
        )
        covered_ids: set[int] = set()
        covered_profiles: set[str] = set()
        for contact_id, profile_key in hits:
            if contact_id is not None:
                covered_ids.add(contact_id)
            if profile_key:
                covered_profiles.add(profile_key)
        covered.update(
            c.pk for c in part if c.pk in covered_ids or (c.profile_key in covered_profiles)
        )
    return covered


@transaction.atomic(durable=True)
def report_opt_outs(
    *,
    mailing_list: MailingList,
    addresses: Sequence[str],
    category: Category | None = None,
    origin: Origin,
) -> ReportResult:
    """Opt out every address of the batch from the list (or one category). Idempotent.

    Addresses already covered are counted and left alone: a mailer that re-sends its whole
    opt-out file every day changes nothing and appends no event, the first report being the
    evidence. Each new opt-out goes through `record_opt_out`, so its suppression and event
    are exactly those of every other channel. The whole batch commits or none of it does.
    """
    if category is not None and category.mailing_list_id != mailing_list.pk:
        raise ValueError("The category belongs to another list.")
    parsed: dict[str, Address] = {}
    invalid = 0
    for raw in addresses:
        try:
            address = parse_address(raw)
        except InvalidAddress:
            invalid += 1
            continue
        parsed.setdefault(address.sha256, address)
    duplicates = len(addresses) - invalid - len(parsed)

    contacts = list(contacts_for_addresses(addresses=parsed.values()).values())
    covered = _covered_contact_ids(contacts=contacts, mailing_list=mailing_list, category=category)
    pending: list[Contact] = []
    profiles: set[str] = set()
    for contact in contacts:
        if contact.pk in covered or (contact.profile_key and contact.profile_key in profiles):
            # A channel-level opt-out covers this person's other addresses in the batch too.
            continue
        pending.append(contact)
        if contact.profile_key:
            profiles.add(contact.profile_key)
    size = settings.OPTOUT_LOOKUP_CHUNK_ROWS
    newly = 0
    for start in range(0, len(pending), size):
        newly += _record_opt_outs(
            contacts=pending[start : start + size],
            mailing_list=mailing_list,
            category=category,
            origin=origin,
        )
    return ReportResult(
        received=len(addresses),
        invalid=invalid,
        duplicates=duplicates,
        newly_suppressed=newly,
        already_suppressed=len(parsed) - newly,
    )


def _record_opt_outs(
    *,
    contacts: Sequence[Contact],
    mailing_list: MailingList,
    category: Category | None,
    origin: Origin,
) -> int:
    """Opt out contacts no suppression covered a moment ago: the rows of `record_opt_out`,
    inserted in bulk. If another request suppressed one of them since (the insert meets the
    unique constraint), the chunk takes `record_opt_out` one by one, which settles each race.
    """
    try:
        with transaction.atomic():  # a savepoint: a conflict undoes this chunk only
            Suppression.objects.bulk_create(
                [
                    new_suppression(contact=c, mailing_list=mailing_list, category=category)
                    for c in contacts
                ]
            )
    except IntegrityError:
        return sum(
            record_opt_out(
                contact=c, mailing_list=mailing_list, category=category, origin=origin
            ).changed
            for c in contacts
        )
    events = ConsentEvent.objects.bulk_create(
        [
            new_event(
                action=Action.OPT_OUT,
                contact=c,
                mailing_list=mailing_list,
                category=category,
                origin=origin,
                changed=True,
            )
            for c in contacts
        ]
    )
    # Bulk inserts skip record_event, so the outbox rows are written here, in the same
    # transaction, as for every other changed event.
    webhooks.queue_webhooks_for_events(events=events)
    return len(contacts)


@dataclass(frozen=True)
class ScrubResult:
    received: int
    invalid: int
    suppressed: list[str]


def _scrub_key(raw: str) -> tuple[str, str] | None:
    """("md5" | "sha256", lowercase hex) for a hash or an address; None when it is neither.

    An address is looked up by its MD5: every contact has one, including those imported from
    an MD5 list, whose SHA-256 is unknown.
    """
    text = raw.strip().lower()
    if len(text) == 64 and HEX_SHA256.match(text):
        return "sha256", text
    if len(text) == 32 and HEX_MD5.match(text):
        return "md5", text
    local, sep, domain = text.strip("<>").rpartition("@")
    if not sep or not local or not domain or len(text) > 320:
        return None
    if text.isascii():
        # The fast path of normalize_address: an ASCII domain needs no IDNA encoding, and a
        # malformed address simply matches no contact, so full validation buys nothing here.
        # The MD5 alone, not hash_address: its SHA-256 would double the hashing for nothing.
        normalized = f"{local}@{domain.rstrip('.')}"
        return "md5", hashlib.md5(normalized.encode(), usedforsecurity=False).hexdigest()
    try:
        return "md5", parse_address(raw).md5
    except InvalidAddress:
        return None


class _AnyOf(Lookup):
    """`column = ANY(…)` of hex digests: a whole batch in one parameter (PostgreSQL).

    Sent as one comma-separated string, split by the server: the driver quotes one string at
    C speed, where it would render a list element by element in Python. Hex has no comma.
    """

    lookup_name = "any_of"
    prepare_rhs = False

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, tuple[Any, ...]]:
        lhs, lhs_params = self.process_lhs(compiler, connection)
        return f"{lhs} = ANY(string_to_array(%s, ','))", (*lhs_params, ",".join(self.rhs))


def _covered_hashes(
    *, rows: QuerySet[Suppression], kind: str, hashes: Collection[str]
) -> Iterator[str]:
    """Those of `hashes` (MD5 or SHA-256 hex, as `kind` says) whose contact a suppression
    among `rows` covers, by the contact's own row or its person's."""
    covered = Exists(rows.filter(contact_id=OuterRef("pk"))) | Exists(
        rows.filter(profile_key=OuterRef("profile_key"))
    )
    contacts = Contact.objects.filter(covered)
    if connections[contacts.db].vendor == "postgresql":
        # One query for the whole batch: a placeholder per value would cost more to build
        # and to parse than the query costs to run.
        yield from contacts.filter(_AnyOf(F(kind), hashes)).values_list(kind, flat=True)
        return
    # SQLite allows 32,766 parameters per query.
    ordered = list(hashes)
    size = settings.OPTOUT_LOOKUP_CHUNK_ROWS
    for start in range(0, len(ordered), size):
        part = ordered[start : start + size]
        yield from contacts.filter(**{f"{kind}__in": part}).values_list(kind, flat=True)


@transaction.atomic(savepoint=False)
def scrub(
    *, mailing_list: MailingList, values: Sequence[str], category: Category | None = None
) -> ScrubResult:
    """Which of these addresses or MD5 / SHA-256 hashes must not be mailed on this list?

    Returns the matching values as they were given, in their order. Never writes: unknown
    addresses stay unknown.
    """
    rows = suppressions_in_scope(mailing_list=mailing_list, category=category)
    keys = [_scrub_key(raw) for raw in values]
    wanted: dict[str, set[str]] = {"md5": set(), "sha256": set()}
    for key in keys:
        if key is not None:
            wanted[key[0]].add(key[1])
    connection = connections[rows.db]
    if connection.vendor == "postgresql":
        # A batch of 100,000 pushes the plan's cost past jit_above_cost, and compiling it
        # would take longer than the index lookups it runs. For this transaction only.
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL jit = off")
    blocked = {
        (kind, value)
        for kind, hashes in wanted.items()
        if hashes
        for value in _covered_hashes(rows=rows, kind=kind, hashes=hashes)
    }
    suppressed = [raw for raw, key in zip(values, keys, strict=True) if key in blocked]
    return ScrubResult(received=len(values), invalid=keys.count(None), suppressed=suppressed)
