"""The preference center's texts are cached per process and still change on the next view.

Each process keeps a list's categories, reasons and translations keyed on the list's
`content_version` (lists.page_texts). These tests warm that cache, change the texts the
way a marketer does, and check the next page: the stale entry is left in place, so only
the version read with the list row can make the page right, as in any other process.
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client

from consent.tokens import make_token
from lists import page_texts
from lists.models import Category, MailingList, ReasonMode, UnsubscribeReason
from tests.consent.factories import ContactFactory
from tests.lists.factories import (
    CategoryFactory,
    CategoryTranslationFactory,
    ListTranslationFactory,
    MailingListFactory,
    UnsubscribeReasonFactory,
    UnsubscribeReasonTranslationFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client() -> Client:
    client = Client()
    client.force_login(User.objects.create_superuser("root", "root@example.com", "pw"))
    return client


def page(url: str) -> str:
    # A fresh client each time: a subscriber's browser, not the admin's session.
    response = Client().get(url)
    assert response.status_code == 200
    return response.content.decode()


def version(mailing_list: MailingList) -> int:
    return MailingList.objects.values_list("content_version", flat=True).get(pk=mailing_list.pk)


def cached_versions(mailing_list: MailingList) -> set[object]:
    return {key[1] for key in page_texts._cache if key[0] == mailing_list.uuid}


def test_a_warm_page_reads_only_the_token_rows_and_the_suppressions(
    django_assert_num_queries,
) -> None:
    newsletter = MailingListFactory.create(reason_mode=ReasonMode.OPTIONAL)
    for category in CategoryFactory.create_batch(3, mailing_list=newsletter):
        CategoryTranslationFactory.create(category=category, language="fr", name="Catégorie")
    UnsubscribeReasonTranslationFactory.create(
        reason=UnsubscribeReasonFactory.create(mailing_list=newsletter), label="Trop d'e-mails"
    )
    ListTranslationFactory.create(mailing_list=newsletter, language="fr", display_name="La lettre")
    first, second = ContactFactory.create_batch(2)

    with django_assert_num_queries(7):
        cold = page(f"/p/{make_token(contact=first, mailing_list=newsletter)}/?lang=fr")
    # Contact, list and mailer in one query, then the suppressions.
    with django_assert_num_queries(2):
        warm = page(f"/p/{make_token(contact=second, mailing_list=newsletter)}/?lang=fr")

    for body in (cold, warm):
        assert body.count("Catégorie") == 3
        assert "Trop d&#x27;e-mails" in body
        assert "La lettre" in body


def test_a_category_renamed_in_admin_shows_on_the_next_page_view(admin_client: Client) -> None:
    news = CategoryFactory.create(name="Weekly news", slug="news")
    url = f"/p/{make_token(contact=ContactFactory.create(), mailing_list=news.mailing_list)}/"
    assert "Weekly news" in page(url)
    before = version(news.mailing_list)

    response = admin_client.post(
        f"/admin/lists/category/{news.pk}/change/",
        {
            "mailing_list": news.mailing_list.pk,
            "slug": "news",
            "name": "Daily news",
            "description": "",
            "position": 0,
            "translations-TOTAL_FORMS": 0,
            "translations-INITIAL_FORMS": 0,
        },
    )

    assert response.status_code == 302, response.content.decode()
    assert Category.objects.get().name == "Daily news"
    assert version(news.mailing_list) > before
    # Nothing cleared this process's entry: the version alone, as in every other process.
    assert before in cached_versions(news.mailing_list)
    body = page(url)
    assert "Daily news" in body
    assert "Weekly news" not in body


def test_a_translation_added_in_admin_shows_on_the_next_page_view(admin_client: Client) -> None:
    news = CategoryFactory.create(name="News", slug="news")
    url = f"/p/{make_token(contact=ContactFactory.create(), mailing_list=news.mailing_list)}/"
    assert "Neuigkeiten" not in page(f"{url}?lang=de")

    response = admin_client.post(
        f"/admin/lists/category/{news.pk}/change/",
        {
            "mailing_list": news.mailing_list.pk,
            "slug": "news",
            "name": "News",
            "description": "",
            "position": 0,
            "translations-TOTAL_FORMS": 1,
            "translations-INITIAL_FORMS": 0,
            "translations-0-language": "de",
            "translations-0-name": "Neuigkeiten",
            "translations-0-description": "Jede Woche",
        },
    )

    assert response.status_code == 302, response.content.decode()
    body = page(f"{url}?lang=de")
    assert "Neuigkeiten" in body
    assert "Jede Woche" in body


def test_deleted_categories_and_changed_reasons_and_footers_show_at_once() -> None:
    newsletter = MailingListFactory.create(reason_mode=ReasonMode.OPTIONAL, footer_text="Old St.")
    news = CategoryFactory.create(mailing_list=newsletter, name="News")
    CategoryFactory.create(mailing_list=newsletter, name="Offers")
    reason = UnsubscribeReasonFactory.create(mailing_list=newsletter, label="Too many")
    translation = UnsubscribeReasonTranslationFactory.create(reason=reason, label="Trop")
    url = f"/p/{make_token(contact=ContactFactory.create(), mailing_list=newsletter)}/"
    assert "News" in page(url)
    assert "Trop" in page(f"{url}?lang=fr")

    news.delete()
    UnsubscribeReasonFactory.create(mailing_list=newsletter, label="Not for me")
    translation.label = "Beaucoup trop"
    translation.save()
    ListTranslationFactory.create(mailing_list=newsletter, language="en", footer_text="New St.")

    body = page(url)
    assert "News" not in body
    assert "Offers" in body
    assert "Not for me" in body
    assert "New St." in body
    assert "Old St." not in body
    assert "Beaucoup trop" in page(f"{url}?lang=fr")


def test_a_bulk_update_shows_once_texts_changed_is_called() -> None:
    news = CategoryFactory.create(name="News")
    url = f"/p/{make_token(contact=ContactFactory.create(), mailing_list=news.mailing_list)}/"
    assert "News" in page(url)

    # QuerySet.update sends no signal: the writer says the texts changed.
    Category.objects.filter(pk=news.pk).update(name="Headlines")
    assert "News" in page(url)
    page_texts.texts_changed(list_id=news.mailing_list_id)

    assert "Headlines" in page(url)


def test_saving_a_list_read_before_a_text_change_never_lowers_its_version() -> None:
    newsletter = MailingListFactory.create()
    stale = MailingList.objects.get(pk=newsletter.pk)
    UnsubscribeReasonFactory.create(mailing_list=newsletter)
    changed = version(newsletter)

    stale.name = "Renamed"
    stale.save()

    assert version(newsletter) > changed
    assert stale.content_version == version(newsletter)
    assert UnsubscribeReason.objects.count() == 1


def test_a_renamed_list_shows_its_new_name() -> None:
    newsletter = MailingListFactory.create(name="Old name")
    url = f"/p/{make_token(contact=ContactFactory.create(), mailing_list=newsletter)}/"
    assert "Old name" in page(url)

    newsletter.name = "New name"
    newsletter.save()

    body = page(url)
    assert "New name" in body
    assert "Old name" not in body
