from __future__ import annotations

import pytest

from consent.models import Action, ConsentEvent, Scope, Source, Suppression
from consent.origins import Origin
from consent.services import is_suppressed, resubscribe, unsubscribe
from lists.models import ConsentLevel
from tests.consent.factories import ContactFactory
from tests.lists.factories import CategoryFactory, MailingListFactory

pytestmark = pytest.mark.django_db

ORIGIN = Origin(source=Source.HOSTED_PAGE, ip="192.0.2.0", user_agent="pytest")


def test_unsubscribe_suppresses_the_address_and_records_the_event() -> None:
    contact = ContactFactory()
    newsletter = MailingListFactory()

    outcome = unsubscribe(contact=contact, mailing_list=newsletter, origin=ORIGIN)

    assert outcome.changed
    assert Suppression.objects.get().contact == contact
    event = ConsentEvent.objects.get()
    assert (event.action, event.scope, event.source) == (Action.OPT_OUT, Scope.LIST, "hosted_page")
    assert event.level == ConsentLevel.IDENTITY
    assert event.ip == "192.0.2.0"
    assert is_suppressed(contact=contact, mailing_list=newsletter)


def test_unsubscribe_twice_keeps_one_suppression_and_two_events() -> None:
    contact = ContactFactory()
    newsletter = MailingListFactory()

    unsubscribe(contact=contact, mailing_list=newsletter, origin=ORIGIN)
    again = unsubscribe(contact=contact, mailing_list=newsletter, origin=ORIGIN)

    assert not again.changed
    assert Suppression.objects.count() == 1
    assert list(ConsentEvent.objects.order_by("pk").values_list("changed", flat=True)) == [
        True,
        False,
    ]


def test_unsubscribe_from_one_list_leaves_the_others() -> None:
    contact = ContactFactory()
    newsletter, offers = MailingListFactory.create_batch(2)

    unsubscribe(contact=contact, mailing_list=newsletter, origin=ORIGIN)

    assert is_suppressed(contact=contact, mailing_list=newsletter)
    assert not is_suppressed(contact=contact, mailing_list=offers)


def test_whole_list_opt_out_wins_over_category_choices() -> None:
    contact = ContactFactory()
    news = CategoryFactory()
    newsletter = news.mailing_list

    unsubscribe(contact=contact, mailing_list=newsletter, origin=ORIGIN)

    assert is_suppressed(contact=contact, mailing_list=newsletter, category=news)


def test_category_opt_out_suppresses_only_that_category() -> None:
    contact = ContactFactory()
    news = CategoryFactory()
    offers = CategoryFactory(mailing_list=news.mailing_list)

    unsubscribe(contact=contact, mailing_list=news.mailing_list, category=news, origin=ORIGIN)

    assert is_suppressed(contact=contact, mailing_list=news.mailing_list, category=news)
    assert not is_suppressed(contact=contact, mailing_list=news.mailing_list, category=offers)
    assert not is_suppressed(contact=contact, mailing_list=news.mailing_list)
    assert ConsentEvent.objects.get().scope == Scope.CATEGORY


def test_channel_level_opt_out_covers_every_address_of_the_person() -> None:
    work = ContactFactory(profile_key="person-1")
    home = ContactFactory(profile_key="person-1")
    stranger = ContactFactory(profile_key="person-2")
    newsletter = MailingListFactory(consent_level=ConsentLevel.CHANNEL)

    unsubscribe(contact=work, mailing_list=newsletter, origin=ORIGIN)
    later = ContactFactory(profile_key="person-1")

    assert is_suppressed(contact=home, mailing_list=newsletter)
    assert is_suppressed(contact=later, mailing_list=newsletter)
    assert not is_suppressed(contact=stranger, mailing_list=newsletter)
    assert Suppression.objects.get().profile_key == "person-1"
    assert ConsentEvent.objects.get().level == ConsentLevel.CHANNEL


def test_identity_level_opt_out_covers_only_that_address() -> None:
    work = ContactFactory(profile_key="person-1")
    home = ContactFactory(profile_key="person-1")
    newsletter = MailingListFactory(consent_level=ConsentLevel.IDENTITY)

    unsubscribe(contact=work, mailing_list=newsletter, origin=ORIGIN)

    assert is_suppressed(contact=work, mailing_list=newsletter)
    assert not is_suppressed(contact=home, mailing_list=newsletter)


def test_resubscribe_lifts_the_opt_out_and_keeps_history() -> None:
    contact = ContactFactory()
    newsletter = MailingListFactory()
    unsubscribe(contact=contact, mailing_list=newsletter, origin=ORIGIN)

    outcome = resubscribe(
        contact=contact, mailing_list=newsletter, origin=Origin(source=Source.RESUBSCRIBE)
    )

    assert outcome.changed
    assert not is_suppressed(contact=contact, mailing_list=newsletter)
    assert list(ConsentEvent.objects.order_by("pk").values_list("action", flat=True)) == [
        Action.OPT_OUT,
        Action.OPT_IN,
    ]


def test_resubscribe_at_channel_level_lifts_the_persons_opt_out() -> None:
    work = ContactFactory(profile_key="person-1")
    home = ContactFactory(profile_key="person-1")
    newsletter = MailingListFactory(consent_level=ConsentLevel.CHANNEL)
    unsubscribe(contact=work, mailing_list=newsletter, origin=ORIGIN)

    resubscribe(contact=home, mailing_list=newsletter, origin=Origin(source=Source.RESUBSCRIBE))

    assert not is_suppressed(contact=work, mailing_list=newsletter)
    assert not Suppression.objects.exists()


def test_unsubscribe_refuses_a_category_of_another_list() -> None:
    contact = ContactFactory()
    foreign = CategoryFactory()

    with pytest.raises(ValueError, match="another list"):
        unsubscribe(
            contact=contact, mailing_list=MailingListFactory(), category=foreign, origin=ORIGIN
        )

    assert not Suppression.objects.exists()
    assert not ConsentEvent.objects.exists()
