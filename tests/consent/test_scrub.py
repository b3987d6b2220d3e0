from __future__ import annotations

import pytest

from consent.models import Contact, Suppression
from consent.services import scrub
from tests.consent.factories import ContactFactory, SuppressionFactory
from tests.lists.factories import CategoryFactory, MailingListFactory

pytestmark = pytest.mark.django_db


def test_scrub_matches_addresses_and_both_hashes_and_keeps_the_input_order() -> None:
    newsletter = MailingListFactory.create()
    one, two, three = (
        ContactFactory.create(address=f"{n}@example.com") for n in ("one", "two", "three")
    )
    for contact in (one, two, three):
        SuppressionFactory.create(contact=contact, mailing_list=newsletter)
    free = ContactFactory.create(address="free@example.com")

    result = scrub(
        mailing_list=newsletter,
        values=[str(three.sha256), "free@example.com", "ONE@example.com.", two.md5, free.md5, "x@"],
    )

    assert result.suppressed == [three.sha256, "ONE@example.com.", two.md5]
    assert (result.received, result.invalid) == (6, 1)


def test_scrub_honours_channel_level_suppressions_of_the_person() -> None:
    newsletter = MailingListFactory.create()
    ContactFactory.create(address="home@example.com", profile_key="p-1")
    work = ContactFactory.create(address="work@example.com", profile_key="p-1")
    Suppression.objects.create(profile_key="p-1", mailing_list=newsletter)

    result = scrub(mailing_list=newsletter, values=["home@example.com", work.md5])

    assert result.suppressed == ["home@example.com", work.md5]


def test_scrub_counts_category_opt_outs_only_when_asked() -> None:
    news = CategoryFactory.create()
    contact = ContactFactory.create(address="a@example.com")
    SuppressionFactory.create(contact=contact, mailing_list=news.mailing_list, category=news)

    assert scrub(mailing_list=news.mailing_list, values=["a@example.com"]).suppressed == []
    assert scrub(
        mailing_list=news.mailing_list, values=["a@example.com"], category=news
    ).suppressed == ["a@example.com"]


def test_scrub_never_writes_and_works_in_chunks(settings, django_assert_max_num_queries) -> None:
    settings.OPTOUT_LOOKUP_CHUNK_ROWS = 10
    newsletter = MailingListFactory.create()
    contacts = ContactFactory.create_batch(30)
    for contact in contacts[::2]:
        SuppressionFactory.create(contact=contact, mailing_list=newsletter)
    values = [c.address for c in contacts] + ["unknown@example.com"]

    with django_assert_max_num_queries(4):  # one query per chunk of 10
        result = scrub(mailing_list=newsletter, values=values)

    assert result.suppressed == [c.address for c in contacts[::2]]
    assert Contact.objects.count() == 30


def test_scrub_hashes_ascii_and_internationalized_addresses_like_the_contacts() -> None:
    newsletter = MailingListFactory.create()
    idn = ContactFactory.create(address="anna@xn--bcher-kva.example")
    ascii_contact = ContactFactory.create(address="bob@example.com")
    for contact in (idn, ascii_contact):
        SuppressionFactory.create(contact=contact, mailing_list=newsletter)

    result = scrub(
        mailing_list=newsletter,
        values=["Anna@Bücher.example", " <BOB@example.com> ", "carol@example.com"],
    )

    assert result.suppressed == ["Anna@Bücher.example", " <BOB@example.com> "]
    assert (result.received, result.invalid) == (3, 0)
