"""The preference center's save: many category choices, one transaction, one event each."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, replace

from django.db import transaction
from django.db.models import Q

from consent.models import ConsentEvent, Contact, Source, Suppression
from consent.origins import Origin
from consent.services.core import record_opt_in, record_opt_out
from lists.models import Category, MailingList


@dataclass(frozen=True)
class PreferencesSaved:
    opted_out: list[Category]
    opted_in: list[Category]
    events: list[ConsentEvent]

    @property
    def changed(self) -> bool:
        return bool(self.events)


@transaction.atomic(durable=True)
def set_preferences(
    *,
    contact: Contact,
    mailing_list: MailingList,
    wanted: Collection[Category],
    origin: Origin,
    reason: str = "",
    reason_text: str = "",
) -> PreferencesSaved:
    """Make the contact receive exactly the `wanted` categories of the list.

    Writes one ConsentEvent per category whose state changes: an opt-out with source
    `preference_center` (carrying `reason`, and `reason_text` in its detail), an opt-in with
    source `resubscribe`. Unchanged categories write nothing: saving the same form twice is
    not evidence of a new choice. A whole-list opt-out is left alone (it still wins);
    `resubscribe` lifts it.
    """
    foreign = [category for category in wanted if category.mailing_list_id != mailing_list.pk]
    if foreign:
        raise ValueError("A wanted category belongs to another list.")
    wanted_ids = {category.pk for category in wanted}
    covering = Q(contact=contact)
    if contact.profile_key:
        covering |= Q(profile_key=contact.profile_key)
    # Lock the contact's rows so two saves from two tabs do not interleave their decisions.
    suppressed = set(
        Suppression.objects.select_for_update()
        .filter(covering, mailing_list=mailing_list, category__isnull=False)
        .values_list("category_id", flat=True)
    )
    opt_out_origin = _with(origin, source=Source.PREFERENCE_CENTER, reason=reason, text=reason_text)
    opt_in_origin = _with(origin, source=Source.RESUBSCRIBE, reason="", text="")
    saved = PreferencesSaved(opted_out=[], opted_in=[], events=[])
    for category in mailing_list.categories.all():
        if category.pk in wanted_ids and category.pk in suppressed:
            outcome = record_opt_in(
                contact=contact, mailing_list=mailing_list, category=category, origin=opt_in_origin
            )
            saved.opted_in.append(category)
        elif category.pk not in wanted_ids and category.pk not in suppressed:
            outcome = record_opt_out(
                contact=contact, mailing_list=mailing_list, category=category, origin=opt_out_origin
            )
            saved.opted_out.append(category)
        else:
            continue
        saved.events.append(outcome.event)
    return saved


def _with(origin: Origin, *, source: Source, reason: str, text: str) -> Origin:
    detail = {**origin.detail, "reason_text": text} if text else dict(origin.detail)
    return replace(origin, source=source, reason=reason, detail=detail)
