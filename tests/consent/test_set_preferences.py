from __future__ import annotations

import pytest

from consent.models import Action, ConsentEvent, Scope, Source, Suppression
from consent.origins import Origin
from consent.preference_selectors import categories_with_state
from consent.services import set_preferences, unsubscribe
from lists.models import ConsentLevel
from tests.consent.factories import ContactFactory, SuppressionFactory
from tests.lists.factories import (
    CategoryFactory,
    CategoryTranslationFactory,
    MailingListFactory,
)

pytestmark = pytest.mark.django_db

ORIGIN = Origin(source=Source.PREFERENCE_CENTER, ip="192.0.2.0", user_agent="pytest")


def test_switching_one_category_off_writes_one_opt_out_event_with_the_reason() -> None:
    contact = ContactFactory.create()
    news = CategoryFactory.create()
    offers = CategoryFactory.create(mailing_list=news.mailing_list)

    saved = set_preferences(
        contact=contact,
        mailing_list=news.mailing_list,
        wanted={news},
        origin=ORIGIN,
        reason="too-many",
        reason_text="Twice a day is a lot",
    )

    assert saved.opted_out == [offers]
    assert saved.opted_in == []
    assert Suppression.objects.get().category == offers
    event = ConsentEvent.objects.get()
    assert (event.action, event.scope, event.source) == (
        Action.OPT_OUT,
        Scope.CATEGORY,
        Source.PREFERENCE_CENTER,
    )
    assert event.category == offers
    assert event.reason == "too-many"
    assert event.detail == {"reason_text": "Twice a day is a lot"}


def test_switching_a_category_back_on_writes_a_resubscribe_event_without_the_reason() -> None:
    contact = ContactFactory.create()
    news = CategoryFactory.create()
    SuppressionFactory.create(contact=contact, mailing_list=news.mailing_list, category=news)

    saved = set_preferences(
        contact=contact, mailing_list=news.mailing_list, wanted={news}, origin=ORIGIN, reason="x"
    )

    assert saved.opted_in == [news]
    assert not Suppression.objects.exists()
    event = ConsentEvent.objects.get()
    assert (event.action, event.source, event.category) == (
        Action.OPT_IN,
        Source.RESUBSCRIBE,
        news,
    )
    assert event.reason == ""


def test_unchanged_categories_write_nothing() -> None:
    contact = ContactFactory.create()
    news = CategoryFactory.create()
    offers = CategoryFactory.create(mailing_list=news.mailing_list)
    SuppressionFactory.create(contact=contact, mailing_list=news.mailing_list, category=offers)

    saved = set_preferences(
        contact=contact, mailing_list=news.mailing_list, wanted={news}, origin=ORIGIN
    )

    assert not saved.changed
    assert not ConsentEvent.objects.exists()
    assert list(Suppression.objects.values_list("category", flat=True)) == [offers.pk]


def test_several_changes_write_one_event_per_changed_category() -> None:
    contact = ContactFactory.create()
    first, second, third = CategoryFactory.create_batch(3, mailing_list=MailingListFactory.create())
    SuppressionFactory.create(contact=contact, mailing_list=first.mailing_list, category=first)

    set_preferences(
        contact=contact, mailing_list=first.mailing_list, wanted={first, third}, origin=ORIGIN
    )

    events = ConsentEvent.objects.order_by("category__position", "category_id")
    assert sorted((e.category_id, e.action, e.source) for e in events) == sorted(
        [
            (first.pk, Action.OPT_IN, Source.RESUBSCRIBE),
            (second.pk, Action.OPT_OUT, Source.PREFERENCE_CENTER),
        ]
    )
    assert list(Suppression.objects.values_list("category", flat=True)) == [second.pk]


def test_a_category_of_another_list_is_refused_before_anything_is_written() -> None:
    contact = ContactFactory.create()
    news = CategoryFactory.create()
    foreign = CategoryFactory.create()

    with pytest.raises(ValueError, match="another list"):
        set_preferences(
            contact=contact, mailing_list=news.mailing_list, wanted={foreign}, origin=ORIGIN
        )

    assert not ConsentEvent.objects.exists()
    assert not Suppression.objects.exists()


def test_at_channel_level_a_choice_covers_every_address_of_the_person() -> None:
    home = ContactFactory.create(profile_key="person-7")
    work = ContactFactory.create(profile_key="person-7")
    news = CategoryFactory.create(
        mailing_list=MailingListFactory.create(consent_level=ConsentLevel.CHANNEL)
    )

    set_preferences(contact=home, mailing_list=news.mailing_list, wanted=set(), origin=ORIGIN)

    assert Suppression.objects.get().profile_key == "person-7"
    state = categories_with_state(contact=work, mailing_list=news.mailing_list, language="en")
    assert state.covers_every_address
    assert [item.subscribed for item in state.categories] == [False]
    assert ConsentEvent.objects.get().level == ConsentLevel.CHANNEL


def test_the_state_shows_a_whole_list_opt_out_and_translated_category_texts() -> None:
    contact = ContactFactory.create()
    news = CategoryFactory.create(name="News", description="Weekly")
    CategoryTranslationFactory.create(
        category=news, language="de", name="Neuigkeiten", description=""
    )
    unsubscribe(contact=contact, mailing_list=news.mailing_list, origin=ORIGIN)

    state = categories_with_state(contact=contact, mailing_list=news.mailing_list, language="de")

    assert state.list_suppressed
    assert not state.covers_every_address
    [item] = state.categories
    # An empty translated description falls back to the category's own text.
    assert (item.name, item.description, item.subscribed) == ("Neuigkeiten", "Weekly", True)
