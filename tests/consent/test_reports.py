from __future__ import annotations

import pytest
from django.db import transaction

from consent.models import ConsentEvent, Contact, Source, Suppression
from consent.origins import Origin
from consent.services import report_opt_outs
from consent.services.reports import _record_opt_outs
from lists.models import ConsentLevel, Mailer
from tests.consent.factories import ContactFactory, SuppressionFactory
from tests.lists.factories import CategoryFactory, MailerFactory, MailingListFactory

pytestmark = pytest.mark.django_db


def s2s(mailer: Mailer | None = None) -> Origin:
    return Origin(source=Source.S2S, ip="192.0.2.0", mailer=mailer or MailerFactory.create())


def test_a_report_creates_contacts_suppressions_and_one_event_each() -> None:
    newsletter = MailingListFactory.create()
    mailer = MailerFactory.create()
    origin = s2s(mailer)

    result = report_opt_outs(
        mailing_list=newsletter, addresses=["a@example.com", "B@example.com"], origin=origin
    )

    assert (result.received, result.newly_suppressed, result.already_suppressed) == (2, 2, 0)
    assert set(Contact.objects.values_list("address", flat=True)) == {
        "a@example.com",
        "b@example.com",
    }
    assert Suppression.objects.filter(mailing_list=newsletter, category=None).count() == 2
    assert set(ConsentEvent.objects.values_list("source", "mailer", "changed")) == {
        (Source.S2S, mailer.pk, True)
    }


def test_a_report_looks_rows_up_in_bulk(django_assert_max_num_queries) -> None:
    newsletter = MailingListFactory.create()
    addresses = [f"p{n}@example.com" for n in range(200)]
    origin = s2s()
    report_opt_outs(mailing_list=newsletter, addresses=addresses, origin=origin)

    # Already suppressed: a fixed handful of queries, not a few per address.
    with django_assert_max_num_queries(4):
        result = report_opt_outs(mailing_list=newsletter, addresses=addresses, origin=origin)

    assert result.already_suppressed == 200


def test_a_report_at_channel_level_suppresses_the_person() -> None:
    newsletter = MailingListFactory.create(consent_level=ConsentLevel.CHANNEL)
    ContactFactory.create(address="home@example.com", profile_key="p-1")
    ContactFactory.create(address="work@example.com", profile_key="p-1")

    result = report_opt_outs(
        mailing_list=newsletter,
        addresses=["home@example.com", "work@example.com"],
        origin=s2s(),
    )

    assert (result.newly_suppressed, result.already_suppressed) == (1, 1)
    suppression = Suppression.objects.get()
    assert (suppression.contact, suppression.profile_key) == (None, "p-1")


def test_an_existing_whole_list_opt_out_covers_a_category_report() -> None:
    news = CategoryFactory.create()
    contact = ContactFactory.create(address="a@example.com")
    SuppressionFactory.create(contact=contact, mailing_list=news.mailing_list)

    result = report_opt_outs(
        mailing_list=news.mailing_list, addresses=["a@example.com"], category=news, origin=s2s()
    )

    assert (result.newly_suppressed, result.already_suppressed) == (0, 1)
    assert Suppression.objects.count() == 1


def test_a_category_of_another_list_is_refused() -> None:
    with pytest.raises(ValueError, match="another list"):
        report_opt_outs(
            mailing_list=MailingListFactory.create(),
            addresses=["a@example.com"],
            category=CategoryFactory.create(),
            origin=s2s(),
        )
    assert not Contact.objects.exists()


def test_a_suppression_that_appears_after_the_lookup_is_settled_one_by_one() -> None:
    # What a concurrent report leaves behind between our lookup and our insert.
    newsletter = MailingListFactory.create()
    raced, fresh = ContactFactory.create_batch(2)
    SuppressionFactory.create(contact=raced, mailing_list=newsletter)

    with transaction.atomic():
        newly = _record_opt_outs(
            contacts=[raced, fresh], mailing_list=newsletter, category=None, origin=s2s()
        )

    assert newly == 1
    assert Suppression.objects.filter(mailing_list=newsletter).count() == 2
    assert sorted(ConsentEvent.objects.values_list("contact_id", "changed")) == sorted(
        [(raced.pk, False), (fresh.pk, True)]
    )
