from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

import pytest
from django.test import Client
from django.utils import translation

from consent.models import Suppression
from consent.tokens import make_token
from lists.models import RedirectValue
from lists.selectors import thank_you_for
from tests.consent.factories import ContactFactory
from tests.lists.factories import ListTranslationFactory, MailingListFactory

pytestmark = pytest.mark.django_db


def _opt_out(client: Client, newsletter, contact=None, query: str = "", **headers: str):
    contact = contact or ContactFactory.create()
    token = make_token(contact=contact, mailing_list=newsletter)
    return client.post(f"/u/{newsletter.uuid}/{token}/{query}", headers=headers)


def test_the_translation_in_the_subscribers_language_wins(client: Client) -> None:
    newsletter = MailingListFactory.create(default_language="en")
    ListTranslationFactory.create(mailing_list=newsletter, language="en", thank_you_title="Bye")
    ListTranslationFactory.create(
        mailing_list=newsletter, language="fr", thank_you_title="Au revoir", thank_you_text="Fini."
    )

    response = _opt_out(client, newsletter, accept_language="fr-FR,fr;q=0.9")

    body = response.content.decode()
    assert "Au revoir" in body
    assert "Fini." in body
    assert '<html lang="fr"' in body


def test_lang_in_the_query_wins_over_the_browser(client: Client) -> None:
    newsletter = MailingListFactory.create()
    ListTranslationFactory.create(mailing_list=newsletter, language="en", thank_you_title="Bye")
    ListTranslationFactory.create(mailing_list=newsletter, language="de", thank_you_title="Tschüss")

    response = _opt_out(client, newsletter, query="?lang=de", accept_language="en")

    assert "Tschüss" in response.content.decode()
    assert not response.cookies


def test_without_that_language_the_list_default_language_is_used(client: Client) -> None:
    newsletter = MailingListFactory.create(default_language="de")
    ListTranslationFactory.create(mailing_list=newsletter, language="de", thank_you_title="Tschüss")
    ListTranslationFactory.create(mailing_list=newsletter, language="es", thank_you_title="Adiós")

    response = _opt_out(client, newsletter, accept_language="fr")

    body = response.content.decode()
    assert "Tschüss" in body
    assert 'lang="de"' in body  # the text is marked as German inside the French page


def test_without_any_translation_the_built_in_text_is_shown(client: Client) -> None:
    newsletter = MailingListFactory.create(default_language="de")

    response = _opt_out(client, newsletter, accept_language="fr")

    # Neither French nor the list's German exists: Optout's own text, in French.
    assert "Vous êtes désinscrit" in response.content.decode()
    assert Suppression.objects.exists()


def test_a_blank_title_borrows_the_built_in_title_only() -> None:
    newsletter = MailingListFactory.create()
    ListTranslationFactory.create(
        mailing_list=newsletter, thank_you_title="", thank_you_text="Ciao."
    )

    thank_you = thank_you_for(mailing_list=newsletter, language="en")

    with translation.override("en"):
        assert (str(thank_you.title), thank_you.text) == ("You are unsubscribed", "Ciao.")


def test_the_selector_reads_one_query(django_assert_num_queries) -> None:
    newsletter = MailingListFactory.create(default_language="de")
    ListTranslationFactory.create(mailing_list=newsletter, language="de")

    with django_assert_num_queries(1):
        thank_you = thank_you_for(mailing_list=newsletter, language="fr")

    assert thank_you.language == "de"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (RedirectValue.EMAIL, "jane+news@example.com"),
        (RedirectValue.MD5, "__md5__"),
    ],
)
def test_the_redirect_carries_the_configured_value_and_keeps_the_query(
    client: Client, value: str, expected: str
) -> None:
    newsletter = MailingListFactory.create()
    ListTranslationFactory.create(
        mailing_list=newsletter,
        redirect_url="https://brand.example/bye?utm_source=optout&utm_source=mail#top",
        redirect_value=value,
        redirect_parameter="who",
    )
    contact = ContactFactory.create(address="jane+news@example.com")

    response = _opt_out(client, newsletter, contact=contact)

    assert response.status_code == 302
    location = urlsplit(response["Location"])
    assert (location.scheme, location.netloc, location.path) == ("https", "brand.example", "/bye")
    assert location.fragment == "top"
    assert parse_qsl(location.query) == [
        ("utm_source", "optout"),
        ("utm_source", "mail"),
        ("who", contact.md5 if expected == "__md5__" else expected),
    ]
    assert Suppression.objects.get().contact == contact


def test_a_redirect_with_nothing_to_pass_is_left_as_configured(client: Client) -> None:
    newsletter = MailingListFactory.create()
    ListTranslationFactory.create(
        mailing_list=newsletter, redirect_url="https://brand.example/bye?a=1", redirect_value=""
    )

    response = _opt_out(client, newsletter)

    assert response.status_code == 302
    assert response["Location"] == "https://brand.example/bye?a=1"


def test_a_forged_link_is_redirected_without_any_value(client: Client) -> None:
    newsletter = MailingListFactory.create()
    ListTranslationFactory.create(
        mailing_list=newsletter,
        redirect_url="https://brand.example/bye",
        redirect_value=RedirectValue.EMAIL,
    )

    response = client.post(f"/u/{newsletter.uuid}/forged.token/")

    assert response.status_code == 302
    assert response["Location"] == "https://brand.example/bye"
    assert not Suppression.objects.exists()


def test_the_redirect_of_the_subscribers_language_is_used(client: Client) -> None:
    newsletter = MailingListFactory.create(default_language="en")
    ListTranslationFactory.create(
        mailing_list=newsletter, language="en", redirect_url="https://a.example/"
    )
    ListTranslationFactory.create(
        mailing_list=newsletter, language="fr", redirect_url="https://b.example/"
    )

    response = _opt_out(client, newsletter, query="?lang=fr")

    assert response["Location"] == "https://b.example/"
