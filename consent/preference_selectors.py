"""What the preference center shows: the list's categories, each with the subscriber's state.

Kept apart from `consent/selectors/` (downloads, evidence, reports) because it serves one page.
"""

from __future__ import annotations

from dataclasses import dataclass

from consent import statements
from consent.models import Contact
from lists.models import Category, ConsentLevel, MailingList
from lists.page_texts import PageTexts, page_texts


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
    *, contact: Contact, mailing_list: MailingList, language: str, texts: PageTexts | None = None
) -> PreferenceState:
    """Every category of the list in `language`, with whether the contact still receives it.

    One query when the list's texts are cached (`lists.page_texts`); pass `texts` when the
    caller already has them.
    """
    if texts is None:
        texts = page_texts(mailing_list=mailing_list, language=language)
    suppressed = suppressed_category_ids(contact=contact, mailing_list=mailing_list)
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
            for text in texts.categories
        ],
        covers_every_address=(
            mailing_list.consent_level == ConsentLevel.CHANNEL and bool(contact.profile_key)
        ),
    )


def suppressed_category_ids(*, contact: Contact, mailing_list: MailingList) -> set[int | None]:
    """The categories the contact left (None: the whole list), by address or by person."""
    return statements.suppressed_categories(
        contact_id=contact.pk, list_id=mailing_list.pk, profile_key=contact.profile_key
    )
