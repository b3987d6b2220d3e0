from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.utils import timezone

from consent.models import Contact, Suppression
from consent.selectors import Digest, suppressions_for_download
from tests.consent.factories import ContactFactory, SuppressionFactory
from tests.lists.factories import CategoryFactory, MailingListFactory

pytestmark = pytest.mark.django_db


def test_the_download_is_a_lazy_iterator_not_a_built_list(django_assert_num_queries) -> None:
    newsletter = MailingListFactory.create()
    SuppressionFactory.create(mailing_list=newsletter)

    with django_assert_num_queries(0):
        values = suppressions_for_download(mailing_list=newsletter, digest=Digest.SHA256)
    assert isinstance(values, Iterator)
    assert not isinstance(values, list)
    # Whether any channel-level row exists, then the rows themselves.
    with django_assert_num_queries(2):
        assert len(list(values)) == 1


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
