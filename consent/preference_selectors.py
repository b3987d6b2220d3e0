"""What the preference center shows: the list's categories, each with the subscriber's state.

Kept apart from `consent/selectors/` (downloads, evidence, reports) because it serves one page.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q

from consent.models import Contact, Suppression
from lists.models import Category, ConsentLevel, MailingList
from lists.texts import category_texts


@dataclass(frozen=True)
class CategoryState:
    category: Category
    name: str
    description: str
    subscribed: bool


@dataclass(frozen=True)
class PreferenceState:
    mailing_list: MailingList
    list_suppressed: bool  # a whole-list opt-out: it wins over every category
    categories: list[CategoryState]
    # Channel level: a choice here covers every address of the person, not only this one.
    covers_every_address: bool

    @property
    def subscribed_categories(self) -> set[Category]:
        return {state.category for state in self.categories if state.subscribed}


def categories_with_state(
    *, contact: Contact, mailing_list: MailingList, language: str
) -> PreferenceState:
    """Every category of the list in `language`, with whether the contact still receives it."""
    covering = Q(contact=contact)
    if contact.profile_key:
        covering |= Q(profile_key=contact.profile_key)
    suppressed = set(
        Suppression.objects.filter(covering, mailing_list=mailing_list).values_list(
            "category_id", flat=True
        )
    )
    texts = category_texts(
        mailing_list=mailing_list, categories=mailing_list.categories.all(), language=language
    )
    return PreferenceState(
        mailing_list=mailing_list,
        list_suppressed=None in suppressed,
        categories=[
            CategoryState(
                category=text.category,
                name=text.name,
                description=text.description,
                subscribed=text.category.pk not in suppressed,
            )
            for text in texts
        ],
        covers_every_address=(
            mailing_list.consent_level == ConsentLevel.CHANNEL and bool(contact.profile_key)
        ),
    )
