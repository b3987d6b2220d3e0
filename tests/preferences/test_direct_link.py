from __future__ import annotations

import pytest
from django.test import Client

from consent.models import ConsentEvent, Source, Suppression
from consent.tokens import make_token
from lists.models import ConsentLevel
from tests.consent.factories import ContactFactory
from tests.lists.factories import (
    ListTranslationFactory,
    MailerAccessFactory,
    MailingListFactory,
)

pytestmark = pytest.mark.django_db


def test_a_get_shows_one_button_and_changes_nothing(client: Client) -> None:
    contact = ContactFactory.create()
    newsletter = MailingListFactory.create(name="Weekly News")
    token = make_token(contact=contact, mailing_list=newsletter)

    response = client.get(f"/u/{newsletter.uuid}/{token}/")

    assert response.status_code == 200
    body = response.content.decode()
    assert "Weekly News" in body
    assert body.count("<button") == 1
    assert '<form method="post">' in body
    assert not Suppression.objects.exists()
    assert not ConsentEvent.objects.exists()


def test_a_post_unsubscribes_and_shows_the_thank_you_page(client: Client) -> None:
    contact = ContactFactory.create()
    newsletter, offers = MailingListFactory.create_batch(2)
    ListTranslationFactory.create(mailing_list=newsletter, thank_you_title="Sorry to see you go")
    token = make_token(contact=contact, mailing_list=newsletter)

    response = client.post(f"/u/{newsletter.uuid}/{token}/")

    assert response.status_code == 200
    assert "Sorry to see you go" in response.content.decode()
    assert Suppression.objects.get().mailing_list == newsletter
    assert not Suppression.objects.filter(mailing_list=offers).exists()
    event = ConsentEvent.objects.get()
    assert (event.source, event.contact, event.changed) == (Source.DIRECT_LINK, contact, True)


def test_the_page_and_its_answer_set_no_cookie(client: Client) -> None:
    contact = ContactFactory.create()
    newsletter = MailingListFactory.create()
    token = make_token(contact=contact, mailing_list=newsletter)

    shown = client.get(f"/u/{newsletter.uuid}/{token}/?lang=fr")
    answered = client.post(f"/u/{newsletter.uuid}/{token}/?lang=fr")

    assert not shown.cookies
    assert not answered.cookies
    assert Suppression.objects.exists()


def test_a_token_of_another_list_is_foreign_and_changes_nothing(client: Client) -> None:
    contact = ContactFactory.create()
    newsletter, offers = MailingListFactory.create_batch(2)
    token = make_token(contact=contact, mailing_list=offers)
    own = make_token(contact=ContactFactory.create(), mailing_list=newsletter)
    genuine = client.post(f"/u/{newsletter.uuid}/{own}/")
    Suppression.objects.all().delete()

    response = client.post(f"/u/{newsletter.uuid}/{token}/")

    assert response.status_code == 200
    assert response.content == genuine.content
    assert not Suppression.objects.exists()


@pytest.mark.parametrize(
    "bad",
    ["abc", "abc.def", "1-1.aaaaaaaaaaaaaaaaaaaaaaaaaa", "zz-zz-zz.", ".", "é"],
)
def test_forged_and_truncated_tokens_get_the_neutral_page(client: Client, bad: str) -> None:
    newsletter = MailingListFactory.create()
    ListTranslationFactory.create(mailing_list=newsletter, thank_you_title="Goodbye")

    response = client.post(f"/u/{newsletter.uuid}/{bad}/")

    assert response.status_code == 200
    assert "Goodbye" in response.content.decode()
    assert not Suppression.objects.exists()
    assert not ConsentEvent.objects.exists()


def test_a_link_to_an_unknown_list_still_gets_a_neutral_page(client: Client) -> None:
    response = client.post("/u/00000000-0000-4000-8000-000000000000/abc.def/")

    assert response.status_code == 200
    assert "You are unsubscribed" in response.content.decode()


def test_a_token_of_a_deleted_contact_changes_nothing(client: Client) -> None:
    newsletter = MailingListFactory.create()
    contact = ContactFactory.create()
    token = make_token(contact=contact, mailing_list=newsletter)
    contact.delete()

    response = client.post(f"/u/{newsletter.uuid}/{token}/")

    assert response.status_code == 200
    assert not ConsentEvent.objects.exists()


def test_a_mailers_token_records_the_mailer(client: Client) -> None:
    access = MailerAccessFactory.create()
    contact = ContactFactory.create()
    token = make_token(contact=contact, mailing_list=access.mailing_list, mailer=access.mailer)

    client.post(f"/u/{access.mailing_list.uuid}/{token}/")

    assert ConsentEvent.objects.get().mailer == access.mailer


def test_a_revoked_mailers_token_still_unsubscribes_without_the_mailer(client: Client) -> None:
    access = MailerAccessFactory.create()
    contact = ContactFactory.create()
    newsletter = access.mailing_list
    token = make_token(contact=contact, mailing_list=newsletter, mailer=access.mailer)
    access.delete()

    client.post(f"/u/{newsletter.uuid}/{token}/")

    event = ConsentEvent.objects.get()
    assert event.mailer is None
    assert Suppression.objects.get().contact == contact


def test_identity_level_suppresses_only_the_address_of_the_link(client: Client) -> None:
    work = ContactFactory.create(profile_key="person-1")
    home = ContactFactory.create(profile_key="person-1")
    newsletter = MailingListFactory.create(consent_level=ConsentLevel.IDENTITY)

    client.post(f"/u/{newsletter.uuid}/{make_token(contact=work, mailing_list=newsletter)}/")

    suppression = Suppression.objects.get()
    assert (suppression.contact, suppression.profile_key) == (work, None)
    assert not Suppression.objects.filter(contact=home).exists()
    assert ConsentEvent.objects.get().level == ConsentLevel.IDENTITY


def test_channel_level_suppresses_every_address_of_the_person(client: Client) -> None:
    work = ContactFactory.create(profile_key="person-1")
    newsletter = MailingListFactory.create(consent_level=ConsentLevel.CHANNEL)

    client.post(f"/u/{newsletter.uuid}/{make_token(contact=work, mailing_list=newsletter)}/")

    suppression = Suppression.objects.get()
    assert (suppression.contact, suppression.profile_key) == (None, "person-1")
    assert ConsentEvent.objects.get().level == ConsentLevel.CHANNEL


def test_the_one_click_confirmation_posts_to_the_direct_link(client: Client) -> None:
    contact = ContactFactory.create()
    newsletter = MailingListFactory.create()
    token = make_token(contact=contact, mailing_list=newsletter)
    page = client.get(f"/o/{token}/?lang=fr").content.decode()
    action = f"/u/{newsletter.uuid}/{token}/?lang=fr"
    assert f'action="{action}"' in page

    response = client.post(action)

    assert response.status_code == 200
    assert ConsentEvent.objects.get().source == Source.DIRECT_LINK
