from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.utils import timezone

from consent.addresses import hash_address
from consent.models import Contact, Suppression
from consent.selectors import Digest, suppression_download_blocks
from tests.consent.factories import ContactFactory, SuppressionFactory
from tests.lists.factories import CategoryFactory, MailingListFactory

pytestmark = pytest.mark.django_db


def suppressions_for_download(**scope: object) -> Iterator[str]:
    """The download's values, one string each: its blocks of whole lines, split."""
    blocks = suppression_download_blocks(**scope)
    return (value for block in blocks for value in block[:-1].decode().split("\n"))


def test_the_download_is_a_lazy_iterator_not_a_built_list(django_assert_num_queries) -> None:
    newsletter = MailingListFactory.create()
    contact = ContactFactory.create()
    SuppressionFactory.create(contact=contact, mailing_list=newsletter)

    with django_assert_num_queries(0):
        values = suppressions_for_download(mailing_list=newsletter, digest=Digest.SHA256)
    assert isinstance(values, Iterator)
    assert not isinstance(values, list)
    # Whether any channel-level row exists, then the rows themselves.
    with django_assert_num_queries(2):
        assert list(values) == [contact.sha256]


def test_each_contact_is_listed_once_whatever_covers_it() -> None:
    newsletter = MailingListFactory.create()
    home = ContactFactory.create(address="home@example.com", profile_key="p-1")
    ContactFactory.create(address="work@example.com", profile_key="p-1")
    ContactFactory.create(address="other@example.com", profile_key="p-2")
    SuppressionFactory.create(contact=home, mailing_list=newsletter)
    Suppression.objects.create(profile_key="p-1", mailing_list=newsletter)

    values = list(suppressions_for_download(mailing_list=newsletter, digest=Digest.PLAIN))

    assert values == ["home@example.com", "work@example.com"]


def test_erased_contacts_stay_in_hashed_downloads_only() -> None:
    newsletter = MailingListFactory.create()
    erased = ContactFactory.create()
    SuppressionFactory.create(contact=erased, mailing_list=newsletter)
    Contact.objects.filter(pk=erased.pk).update(address=None)

    assert list(suppressions_for_download(mailing_list=newsletter, digest=Digest.PLAIN)) == []
    assert list(suppressions_for_download(mailing_list=newsletter, digest=Digest.MD5)) == [
        erased.md5
    ]


def test_since_and_category_narrow_the_download() -> None:
    news = CategoryFactory.create()
    newsletter = news.mailing_list
    old = SuppressionFactory.create(mailing_list=newsletter)
    Suppression.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=3))
    recent = SuppressionFactory.create(mailing_list=newsletter)
    category_only = SuppressionFactory.create(mailing_list=newsletter, category=news)

    since = list(
        suppressions_for_download(
            mailing_list=newsletter,
            digest=Digest.SHA256,
            since=timezone.now() - timedelta(days=1),
        )
    )
    with_category = list(
        suppressions_for_download(mailing_list=newsletter, digest=Digest.SHA256, category=news)
    )

    sha256 = {row.pk: row.contact.sha256 for row in (old, recent, category_only) if row.contact}
    assert since == [sha256[recent.pk]]
    assert with_category == [sha256[old.pk], sha256[recent.pk], sha256[category_only.pk]]


def test_a_contact_known_only_by_its_md5_is_in_the_md5_download_only() -> None:
    newsletter = MailingListFactory.create()
    imported = Contact.objects.create(
        address=None, md5=hash_address("imported@example.com").md5, sha256=None
    )
    known = ContactFactory.create()
    SuppressionFactory.create(contact=known, mailing_list=newsletter)
    Suppression.objects.create(contact=imported, mailing_list=newsletter)

    def download(digest: Digest) -> list[str]:
        return list(suppressions_for_download(mailing_list=newsletter, digest=digest))

    assert download(Digest.SHA256) == [known.sha256]
    assert download(Digest.MD5) == [imported.md5, known.md5]
    assert download(Digest.PLAIN) == [known.address]


# Quoted local parts may hold a backslash or a tab, which PostgreSQL's COPY escapes; the
# literal two characters "\n" must not turn into a line break on the way out.
ODD_ADDRESSES = [
    '"back\\slash"@example.com',
    '"tab\there"@example.com',
    '"not\\na newline"@example.com',
    '"ends with\\"@example.com',
    '"form\x0cfeed\x0bvtab\x08bs\x01"@example.com',
]


@pytest.mark.parametrize("run", [1, 2, 5000])
def test_addresses_come_out_as_stored_whatever_they_hold(settings, run: int) -> None:
    settings.OPTOUT_DOWNLOAD_CHUNK_ROWS = run
    settings.OPTOUT_DOWNLOAD_BLOCK_BYTES = 40
    newsletter = MailingListFactory.create()
    addresses = [*ODD_ADDRESSES, "plain@example.com"]
    for address in addresses:
        SuppressionFactory.create(
            contact=ContactFactory.create(address=address), mailing_list=newsletter
        )

    blocks = list(suppression_download_blocks(mailing_list=newsletter, digest=Digest.PLAIN))

    assert b"".join(blocks).decode() == "".join(f"{address}\n" for address in addresses)
    assert all(block.endswith(b"\n") for block in blocks)  # whole lines only


def test_runs_and_blocks_keep_the_contact_order_with_channel_level_rows(settings) -> None:
    settings.OPTOUT_DOWNLOAD_CHUNK_ROWS = 2
    settings.OPTOUT_DOWNLOAD_BLOCK_BYTES = 1
    newsletter = MailingListFactory.create()
    contacts = ContactFactory.create_batch(7, profile_key="p-1")
    ContactFactory.create(profile_key="p-2")  # not covered
    SuppressionFactory.create(contact=contacts[3], mailing_list=newsletter)
    Suppression.objects.create(profile_key="p-1", mailing_list=newsletter)

    blocks = list(suppression_download_blocks(mailing_list=newsletter, digest=Digest.MD5))

    assert b"".join(blocks).decode().splitlines() == [c.md5 for c in contacts]
    assert len(blocks) > 1


def test_every_run_starts_where_the_last_one_ended(settings) -> None:
    settings.OPTOUT_DOWNLOAD_CHUNK_ROWS = 2
    newsletter = MailingListFactory.create()
    contacts = ContactFactory.create_batch(9)
    listed = [c for n, c in enumerate(contacts) if n not in {1, 4, 5}]
    for contact in listed:
        SuppressionFactory.create(contact=contact, mailing_list=newsletter)
    SuppressionFactory.create(contact=contacts[4])  # another list

    values = list(suppressions_for_download(mailing_list=newsletter, digest=Digest.SHA256))

    assert values == [c.sha256 for c in listed]
