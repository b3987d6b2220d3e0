from __future__ import annotations

import re

import pytest
from django.test import Client

from consent.models import Action, ConsentEvent, Scope, Source, Suppression
from consent.tokens import make_token
from lists.models import ConsentLevel, ReasonMode
from tests.consent.factories import ContactFactory, SuppressionFactory
from tests.lists.factories import (
    CategoryFactory,
    CategoryTranslationFactory,
    ListTranslationFactory,
    MailingListFactory,
    UnsubscribeReasonFactory,
    UnsubscribeReasonTranslationFactory,
)

pytestmark = pytest.mark.django_db


def page(client: Client, url: str, **headers: str) -> str:
    response = client.get(url, headers=headers)
    assert response.status_code == 200
    return response.content.decode()


def checked(body: str, category_pk: int) -> bool:
    tag = re.search(rf'<input type="checkbox" name="category_{category_pk}"[^>]*>', body)
    assert tag is not None
    return " checked" in tag.group(0)


def test_the_page_lists_every_category_with_its_description_and_state(client: Client) -> None:
    contact = ContactFactory.create(address="ada@example.com")
    news = CategoryFactory.create(name="Weekly news", description="Every <Friday>")
    offers = CategoryFactory.create(mailing_list=news.mailing_list, name="Special offers")
    SuppressionFactory.create(contact=contact, mailing_list=news.mailing_list, category=offers)
    token = make_token(contact=contact, mailing_list=news.mailing_list)

    body = page(client, f"/p/{token}/")

    assert "Weekly news" in body
    assert "Every &lt;Friday&gt;" in body  # the marketer's text is escaped
    assert "Special offers" in body
    assert checked(body, news.pk)
    assert not checked(body, offers.pk)
    assert "a…@example.com" in body
    assert "ada@example.com" not in body
    assert "every email address we have for you" not in body


def test_switching_a_category_off_saves_redirects_and_confirms(client: Client) -> None:
    contact = ContactFactory.create()
    news = CategoryFactory.create()
    offers = CategoryFactory.create(mailing_list=news.mailing_list)
    token = make_token(contact=contact, mailing_list=news.mailing_list)

    response = client.post(f"/p/{token}/", {"action": "save", f"category_{news.pk}": "on"})

    assert response.status_code == 302
    assert response["Location"] == f"/p/{token}/"
    assert Suppression.objects.get().category == offers
    event = ConsentEvent.objects.get()
    assert (event.action, event.scope, event.source, event.category) == (
        Action.OPT_OUT,
        Scope.CATEGORY,
        Source.PREFERENCE_CENTER,
        offers,
    )
    assert event.request_id
    body = page(client, response["Location"])
    assert "Your preferences are saved." in body
    assert checked(body, news.pk)
    assert not checked(body, offers.pk)


def test_saving_without_a_change_writes_no_event(client: Client) -> None:
    contact = ContactFactory.create()
    news = CategoryFactory.create()
    token = make_token(contact=contact, mailing_list=news.mailing_list)

    response = client.post(f"/p/{token}/", {"action": "save", f"category_{news.pk}": "on"})

    assert not ConsentEvent.objects.exists()
    assert "Nothing needed to change." in page(client, response["Location"])


def test_switching_a_category_back_on_records_a_resubscribe(client: Client) -> None:
    contact = ContactFactory.create()
    news = CategoryFactory.create()
    SuppressionFactory.create(contact=contact, mailing_list=news.mailing_list, category=news)
    token = make_token(contact=contact, mailing_list=news.mailing_list)

    client.post(f"/p/{token}/", {f"category_{news.pk}": "on"})  # Enter: no button value

    assert not Suppression.objects.exists()
    event = ConsentEvent.objects.get()
    assert (event.action, event.source) == (Action.OPT_IN, Source.RESUBSCRIBE)


def test_unsubscribe_from_everything_shows_the_unsubscribed_page_and_the_way_back(
    client: Client,
) -> None:
    contact = ContactFactory.create()
    news = CategoryFactory.create()
    token = make_token(contact=contact, mailing_list=news.mailing_list)

    response = client.post(f"/p/{token}/", {"action": "unsubscribe_all"})

    suppression = Suppression.objects.get()
    assert suppression.category is None
    event = ConsentEvent.objects.get()
    assert (event.action, event.scope, event.source) == (
        Action.OPT_OUT,
        Scope.LIST,
        Source.PREFERENCE_CENTER,
    )
    body = page(client, response["Location"])
    assert "You are unsubscribed from all emails from" in body
    assert "You are unsubscribed</h2>" in body
    assert 'value="resubscribe_all"' in body
    assert f'name="category_{news.pk}"' not in body


def test_re_subscribe_to_everything_lifts_every_opt_out_of_the_list(client: Client) -> None:
    contact = ContactFactory.create()
    news = CategoryFactory.create()
    other_list = MailingListFactory.create()
    SuppressionFactory.create(contact=contact, mailing_list=news.mailing_list)
    SuppressionFactory.create(contact=contact, mailing_list=news.mailing_list, category=news)
    SuppressionFactory.create(contact=contact, mailing_list=other_list)
    token = make_token(contact=contact, mailing_list=news.mailing_list)

    response = client.post(f"/p/{token}/", {"action": "resubscribe_all"})

    assert list(Suppression.objects.values_list("mailing_list", flat=True)) == [other_list.pk]
    event = ConsentEvent.objects.get()
    assert (event.action, event.scope, event.source) == (
        Action.OPT_IN,
        Scope.LIST,
        Source.RESUBSCRIBE,
    )
    body = page(client, response["Location"])
    assert "Welcome back!" in body
    assert checked(body, news.pk)


def test_a_list_without_categories_still_lets_one_leave_it(client: Client) -> None:
    contact = ContactFactory.create()
    newsletter = MailingListFactory.create(name="Plain list")
    token = make_token(contact=contact, mailing_list=newsletter)

    body = page(client, f"/p/{token}/")
    assert "You are subscribed to Plain list." in body
    assert 'value="save"' not in body
    assert 'value="unsubscribe_all"' in body

    client.post(f"/p/{token}/", {"action": "unsubscribe_all"})

    assert Suppression.objects.get().mailing_list == newsletter


def test_reasons_are_offered_translated_and_stored_on_the_event(client: Client) -> None:
    contact = ContactFactory.create()
    newsletter = MailingListFactory.create(reason_mode=ReasonMode.OPTIONAL)
    reason = UnsubscribeReasonFactory.create(
        mailing_list=newsletter, slug="too-many", label="Too many"
    )
    UnsubscribeReasonTranslationFactory.create(
        reason=reason, language="fr", label="Trop de messages"
    )
    token = make_token(contact=contact, mailing_list=newsletter)

    assert "Too many" in page(client, f"/p/{token}/")
    assert "Trop de messages" in page(client, f"/p/{token}/?lang=fr")

    client.post(f"/p/{token}/", {"action": "unsubscribe_all", "reason": "too-many"})

    event = ConsentEvent.objects.get()
    assert (event.reason, event.detail) == ("too-many", {})


def test_free_text_is_stored_as_the_other_reason(client: Client) -> None:
    contact = ContactFactory.create()
    news = CategoryFactory.create(
        mailing_list=MailingListFactory.create(reason_mode=ReasonMode.OPTIONAL)
    )
    token = make_token(contact=contact, mailing_list=news.mailing_list)

    client.post(f"/p/{token}/", {"action": "save", "reason_text": "  Not relevant to me "})

    event = ConsentEvent.objects.get()
    assert (event.category, event.reason) == (news, "other")
    assert event.detail == {"reason_text": "Not relevant to me"}


def test_an_unknown_reason_is_refused_and_nothing_is_written(client: Client) -> None:
    contact = ContactFactory.create()
    newsletter = MailingListFactory.create(reason_mode=ReasonMode.OPTIONAL)
    UnsubscribeReasonFactory.create(mailing_list=newsletter, slug="too-many")
    token = make_token(contact=contact, mailing_list=newsletter)

    response = client.post(f"/p/{token}/", {"action": "unsubscribe_all", "reason": "invented"})

    assert response.status_code == 400
    assert "We could not save your choices." in response.content.decode()
    assert not ConsentEvent.objects.exists()


def test_each_switch_is_labelled_and_described_by_its_category_description(
    client: Client,
) -> None:
    contact = ContactFactory.create()
    news = CategoryFactory.create(name="Weekly news", description="Every Friday")
    token = make_token(contact=contact, mailing_list=news.mailing_list)

    body = page(client, f"/p/{token}/")

    field = f"id_category_{news.pk}"
    switch = re.search(rf'<input type="checkbox" name="category_{news.pk}"[^>]*>', body)
    assert switch is not None
    assert f'id="{field}"' in switch.group(0)
    assert 'role="switch"' in switch.group(0)
    assert f'aria-describedby="{field}_helptext"' in switch.group(0)
    assert f'<label class="form-check-label" for="{field}">Weekly news</label>' in body
    assert f'<div class="form-text" id="{field}_helptext">Every Friday</div>' in body
    assert "<form" in body
    assert "csrfmiddlewaretoken" in body
    assert "style=" not in body
    assert "<script" not in body


def test_a_refused_reason_is_shown_next_to_the_reasons_and_tied_to_them(client: Client) -> None:
    contact = ContactFactory.create()
    newsletter = MailingListFactory.create(reason_mode=ReasonMode.OPTIONAL)
    UnsubscribeReasonFactory.create(mailing_list=newsletter, slug="too-many", label="Too many")
    token = make_token(contact=contact, mailing_list=newsletter)

    response = client.post(
        f"/p/{token}/",
        {"action": "unsubscribe_all", "reason": "invented", "reason_text": "kept <b>"},
    )

    body = response.content.decode()
    assert response.status_code == 400
    assert '<details class="optout-reasons mb-4" open>' in body
    assert 'id="id_reason_error"' in body
    assert "Select a valid choice." in body
    radios = re.findall(r'<input type="radio" name="reason"[^>]*>', body)
    assert len(radios) == 2  # the list's reason and "other"
    assert all('aria-invalid="true"' in radio for radio in radios)
    assert all('aria-describedby="id_reason_error"' in radio for radio in radios)
    assert "kept &lt;b&gt;</textarea>" in body  # what was typed is kept, escaped


def test_the_chosen_reason_stays_checked_when_the_form_comes_back(client: Client) -> None:
    contact = ContactFactory.create()
    newsletter = MailingListFactory.create(reason_mode=ReasonMode.OPTIONAL)
    UnsubscribeReasonFactory.create(mailing_list=newsletter, slug="too-many", label="Too many")
    token = make_token(contact=contact, mailing_list=newsletter)

    body = client.post(
        f"/p/{token}/",
        {"action": "save", "reason": "too-many", "reason_text": "x" * 501},
    ).content.decode()

    chosen = re.search(r'<input type="radio" name="reason" value="too-many"[^>]*>', body)
    assert chosen is not None
    assert " checked" in chosen.group(0)
    assert 'aria-describedby="id_reason_text_error"' in body
    assert 'id="id_reason_text_error"' in body


def test_reasons_are_not_asked_when_the_list_turns_them_off(client: Client) -> None:
    contact = ContactFactory.create()
    newsletter = MailingListFactory.create(reason_mode=ReasonMode.OFF)
    UnsubscribeReasonFactory.create(mailing_list=newsletter, label="Too many")
    token = make_token(contact=contact, mailing_list=newsletter)

    assert "Too many" not in page(client, f"/p/{token}/")
    client.post(f"/p/{token}/", {"action": "unsubscribe_all", "reason": "too-many"})

    assert ConsentEvent.objects.get().reason == ""


def test_the_lang_parameter_wins_then_the_list_default_then_accept_language(
    client: Client,
) -> None:
    contact = ContactFactory.create()
    news = CategoryFactory.create(
        name="News", mailing_list=MailingListFactory.create(default_language="de")
    )
    CategoryTranslationFactory.create(category=news, language="de", name="Neuigkeiten")
    CategoryTranslationFactory.create(category=news, language="es", name="Noticias")
    token = make_token(contact=contact, mailing_list=news.mailing_list)

    spanish = page(client, f"/p/{token}/?lang=es", accept_language="fr")
    assert '<html lang="es"' in spanish
    assert "Noticias" in spanish
    assert "Preferencias de correo" in spanish

    german = page(client, f"/p/{token}/", accept_language="fr")
    assert '<html lang="de"' in german
    assert "Neuigkeiten" in german

    no_default = MailingListFactory.create(default_language="")
    french = page(
        client,
        f"/p/{make_token(contact=contact, mailing_list=no_default)}/",
        accept_language="fr-CH, en;q=0.5",
    )
    assert '<html lang="fr"' in french
    assert "Préférences" in french


def test_an_unsupported_lang_falls_back_and_the_switcher_links_every_language(
    client: Client,
) -> None:
    contact = ContactFactory.create()
    newsletter = MailingListFactory.create(default_language="en")
    token = make_token(contact=contact, mailing_list=newsletter)

    body = page(client, f"/p/{token}/?lang=xx")

    assert '<html lang="en"' in body
    for code, name in (("fr", "Français"), ("de", "Deutsch"), ("es", "Español")):
        assert f'href="/p/{token}/?lang={code}" hreflang="{code}" lang="{code}">{name}</a>' in body


def test_saving_keeps_the_chosen_language(client: Client) -> None:
    contact = ContactFactory.create()
    newsletter = MailingListFactory.create()
    token = make_token(contact=contact, mailing_list=newsletter)

    response = client.post(f"/p/{token}/?lang=fr", {"action": "unsubscribe_all"})

    assert response["Location"] == f"/p/{token}/?lang=fr"
    assert "Vous êtes désinscrit" in page(client, response["Location"])


def test_the_list_translation_names_the_list_and_its_footer(client: Client) -> None:
    contact = ContactFactory.create()
    newsletter = MailingListFactory.create(
        name="Deals", footer_text="Acme Inc., 1 Main St", privacy_url="https://acme.test/privacy"
    )
    ListTranslationFactory.create(
        mailing_list=newsletter, language="fr", display_name="Bons plans", footer_text=""
    )
    token = make_token(contact=contact, mailing_list=newsletter)

    body = page(client, f"/p/{token}/?lang=fr")

    assert "Bons plans" in body
    assert "Acme Inc., 1 Main St" in body  # no French footer: the list's own
    assert 'href="https://acme.test/privacy"' in body


def test_a_channel_level_list_says_the_choice_covers_every_address(client: Client) -> None:
    contact = ContactFactory.create(profile_key="person-1")
    newsletter = MailingListFactory.create(consent_level=ConsentLevel.CHANNEL)
    token = make_token(contact=contact, mailing_list=newsletter)

    body = page(client, f"/p/{token}/")

    assert "These choices apply to you, not just to this address." in body
    assert "every email address we have for you" in body


@pytest.mark.parametrize(
    "token",
    [
        "not-a-token",
        "1-1.aaaaaaaaaaaaaaaaaaaaaaaaaa",
        "",
    ],
)
def test_a_forged_token_gets_the_neutral_page_and_no_list(client: Client, token: str) -> None:
    MailingListFactory.create()
    url = f"/p/{token}/" if token else "/p/%20/"

    response = client.get(url)

    assert response.status_code == 200
    body = response.content.decode()
    assert "This link no longer works" in body
    assert "/u/" not in body


def test_a_forged_post_changes_nothing(client: Client) -> None:
    contact = ContactFactory.create()
    newsletter = MailingListFactory.create()
    genuine = make_token(contact=contact, mailing_list=newsletter)
    forged = genuine[:-3] + ("aaa" if not genuine.endswith("aaa") else "bbb")

    response = client.post(f"/p/{forged}/", {"action": "unsubscribe_all"})

    assert response.status_code == 200
    assert "This link no longer works" in response.content.decode()
    assert not ConsentEvent.objects.exists()
    assert not Suppression.objects.exists()


def test_a_genuine_token_whose_contact_is_gone_offers_the_hosted_page(client: Client) -> None:
    contact = ContactFactory.create()
    newsletter = MailingListFactory.create()
    token = make_token(contact=contact, mailing_list=newsletter)
    contact.delete()

    body = page(client, f"/p/{token}/")

    assert "This link no longer works" in body
    assert f"/u/{newsletter.uuid}/" in body


def test_a_token_reaches_only_its_own_list_categories(client: Client) -> None:
    contact = ContactFactory.create()
    news = CategoryFactory.create()
    foreign = CategoryFactory.create()
    token = make_token(contact=contact, mailing_list=news.mailing_list)

    client.post(
        f"/p/{token}/",
        {"action": "save", f"category_{news.pk}": "on", f"category_{foreign.pk}": ""},
    )

    assert not ConsentEvent.objects.exists()
    assert not Suppression.objects.filter(mailing_list=foreign.mailing_list).exists()


def test_a_post_without_the_csrf_token_is_refused() -> None:
    client = Client(enforce_csrf_checks=True)
    contact = ContactFactory.create()
    newsletter = MailingListFactory.create()
    token = make_token(contact=contact, mailing_list=newsletter)

    response = client.post(f"/p/{token}/", {"action": "unsubscribe_all"})

    assert response.status_code == 403
    assert not Suppression.objects.exists()


def test_a_post_with_the_csrf_token_from_the_page_is_accepted() -> None:
    client = Client(enforce_csrf_checks=True)
    contact = ContactFactory.create()
    newsletter = MailingListFactory.create()
    token = make_token(contact=contact, mailing_list=newsletter)
    body = page(client, f"/p/{token}/")
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', body)
    assert csrf is not None

    response = client.post(
        f"/p/{token}/", {"action": "unsubscribe_all", "csrfmiddlewaretoken": csrf.group(1)}
    )

    assert response.status_code == 302
    assert Suppression.objects.get().mailing_list == newsletter


def test_the_page_is_private_and_a_get_never_writes(client: Client) -> None:
    contact = ContactFactory.create()
    news = CategoryFactory.create()
    token = make_token(contact=contact, mailing_list=news.mailing_list)

    response = client.get(f"/p/{token}/?action=unsubscribe_all")

    assert "no-store" in response["Cache-Control"]
    assert response["Content-Language"] == "en"
    assert "style=" not in response.content.decode()
    assert "<script" not in response.content.decode()
    assert not ConsentEvent.objects.exists()


def test_the_branding_shows_the_logo_and_links_the_list_theme(client: Client) -> None:
    contact = ContactFactory.create()
    newsletter = MailingListFactory.create(
        name="Acme", logo_url="https://cdn.acme.test/logo.png", accent_color="#FFCC00"
    )
    token = make_token(contact=contact, mailing_list=newsletter)

    body = page(client, f"/p/{token}/")

    assert '<img class="optout-logo" src="https://cdn.acme.test/logo.png" alt="Acme">' in body
    theme_url = f"/t/{newsletter.uuid}/theme.css?v=FFCC00"
    assert theme_url in body
    css = client.get(theme_url)
    assert css["Content-Type"] == "text/css"
    assert "--optout-accent: #ffcc00;" in css.content.decode()
    assert "--optout-on-accent: #000000;" in css.content.decode()


def test_a_list_without_an_accent_has_no_theme(client: Client) -> None:
    newsletter = MailingListFactory.create(accent_color="")

    assert client.get(f"/t/{newsletter.uuid}/theme.css").status_code == 404


def test_the_page_needs_a_fixed_number_of_queries_however_many_categories(
    client: Client, django_assert_num_queries
) -> None:
    contact = ContactFactory.create()
    newsletter = MailingListFactory.create(reason_mode=ReasonMode.OPTIONAL)
    for category in CategoryFactory.create_batch(5, mailing_list=newsletter):
        CategoryTranslationFactory.create(category=category, language="fr")
    UnsubscribeReasonFactory.create_batch(3, mailing_list=newsletter)
    token = make_token(contact=contact, mailing_list=newsletter)

    # contact and list (one query), suppressions, categories, their translations, list
    # texts, reasons and their translations: no query per category or reason.
    with django_assert_num_queries(7):
        page(client, f"/p/{token}/?lang=fr")
    # Then the list's texts come from the process's cache (tests/preferences/
    # test_center_texts_cache.py): the token's rows (one query) and the suppressions.
    with django_assert_num_queries(2):
        page(client, f"/p/{token}/?lang=fr")
