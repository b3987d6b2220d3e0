from __future__ import annotations

import pytest
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from django.test import Client, override_settings

from consent.models import ConsentEvent, Contact, Source, Suppression
from preferences.throttling import Rate, parse_rate
from tests.consent.factories import ContactFactory, SuppressionFactory
from tests.lists.factories import ListTranslationFactory, MailingListFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_rate_counters() -> None:
    cache.clear()


@pytest.fixture
def csrf_client() -> Client:
    return Client(enforce_csrf_checks=True)


def _post(client: Client, url: str, data: dict[str, str], **extra: str):
    """Post the form as a browser does: GET it first for the CSRF cookie and token."""
    page = client.get(url)
    token = page.cookies["csrftoken"].value
    return client.post(url, {**data, "csrfmiddlewaretoken": token}, **extra)


def test_the_page_shows_a_labelled_address_form(client: Client) -> None:
    newsletter = MailingListFactory.create(name="Weekly News")

    response = client.get(f"/u/{newsletter.uuid}/")

    body = response.content.decode()
    assert response.status_code == 200
    assert "Weekly News" in body
    assert '<label class="form-label" for="id_email">' in body
    assert 'name="csrfmiddlewaretoken"' in body


def test_email_in_the_query_fills_the_form_and_changes_nothing(client: Client) -> None:
    newsletter = MailingListFactory.create()

    response = client.get(f"/u/{newsletter.uuid}/?email=jane+news@example.com")

    assert 'value="jane+news@example.com"' in response.content.decode()
    assert not Contact.objects.exists()
    assert not ConsentEvent.objects.exists()


def test_a_post_without_the_csrf_token_is_refused(csrf_client: Client) -> None:
    newsletter = MailingListFactory.create()

    response = csrf_client.post(f"/u/{newsletter.uuid}/", {"email": "jane@example.com"})

    assert response.status_code == 403
    assert not Suppression.objects.exists()


def test_a_new_address_is_recorded_and_suppressed(csrf_client: Client) -> None:
    newsletter = MailingListFactory.create()

    response = _post(csrf_client, f"/u/{newsletter.uuid}/", {"email": "  Jane@Example.COM "})

    assert response.status_code == 200
    contact = Contact.objects.get()
    assert contact.address == "jane@example.com"
    assert Suppression.objects.get().contact == contact
    event = ConsentEvent.objects.get()
    assert (event.source, event.mailing_list) == (Source.HOSTED_PAGE, newsletter)


def test_the_answer_is_the_same_for_known_unknown_and_already_unsubscribed(client: Client) -> None:
    newsletter = MailingListFactory.create()
    ListTranslationFactory.create(mailing_list=newsletter, thank_you_title="Done")
    known = ContactFactory.create(address="known@example.com")
    gone = ContactFactory.create(address="gone@example.com")
    SuppressionFactory.create(contact=gone, mailing_list=newsletter)

    answers = [
        client.post(f"/u/{newsletter.uuid}/", {"email": address})
        for address in (known.address, "new@example.com", gone.address)
    ]

    assert {answer.status_code for answer in answers} == {200}
    assert len({answer.content for answer in answers}) == 1
    assert "Done" in answers[0].content.decode()
    assert Suppression.objects.filter(mailing_list=newsletter).count() == 3


def test_an_invalid_address_shows_the_form_again_with_the_error(client: Client) -> None:
    newsletter = MailingListFactory.create()

    response = client.post(f"/u/{newsletter.uuid}/", {"email": "not an address"})

    body = response.content.decode()
    assert response.status_code == 200
    assert 'aria-invalid="true"' in body
    assert "This is not a valid email address." in body
    assert not Contact.objects.exists()


def test_an_idn_address_is_stored_in_punycode(client: Client) -> None:
    newsletter = MailingListFactory.create()

    client.post(f"/u/{newsletter.uuid}/", {"email": "jane@bücher.example"})

    assert Contact.objects.get().address == "jane@xn--bcher-kva.example"


def test_an_unknown_list_is_not_found(client: Client) -> None:
    response = client.get("/u/00000000-0000-4000-8000-000000000000/")

    assert response.status_code == 404


@override_settings(OPTOUT_HOSTED_PAGE_RATE="2/m")
def test_posts_beyond_the_rate_from_one_address_are_refused(client: Client) -> None:
    newsletter = MailingListFactory.create()
    url = f"/u/{newsletter.uuid}/"

    first = client.post(url, {"email": "a@example.com"}, REMOTE_ADDR="192.0.2.1")
    second = client.post(url, {"email": "b@example.com"}, REMOTE_ADDR="192.0.2.1")
    third = client.post(url, {"email": "c@example.com"}, REMOTE_ADDR="192.0.2.1")
    elsewhere = client.post(url, {"email": "d@example.com"}, REMOTE_ADDR="198.51.100.7")

    assert [first.status_code, second.status_code, third.status_code] == [200, 200, 429]
    assert "Too many requests" in third.content.decode()
    assert elsewhere.status_code == 200
    assert list(Contact.objects.order_by("address").values_list("address", flat=True)) == [
        "a@example.com",
        "b@example.com",
        "d@example.com",
    ]


@override_settings(OPTOUT_HOSTED_PAGE_RATE="1/m")
def test_gets_are_not_counted_against_the_rate(client: Client) -> None:
    newsletter = MailingListFactory.create()
    url = f"/u/{newsletter.uuid}/"

    for _ in range(3):
        client.get(url)
    response = client.post(url, {"email": "a@example.com"})

    assert response.status_code == 200
    assert Suppression.objects.exists()


def test_lang_in_the_query_chooses_the_page_language(client: Client) -> None:
    newsletter = MailingListFactory.create()

    response = client.get(f"/u/{newsletter.uuid}/?lang=de", headers={"accept-language": "fr"})

    assert '<html lang="de"' in response.content.decode()
    assert not response.cookies.get("django_language")


def test_an_unknown_lang_leaves_the_browser_language(client: Client) -> None:
    newsletter = MailingListFactory.create()

    response = client.get(f"/u/{newsletter.uuid}/?lang=xx", headers={"accept-language": "fr"})

    assert '<html lang="fr"' in response.content.decode()


@pytest.mark.parametrize(
    ("text", "count", "seconds"),
    [("10/m", 10, 60), ("100/h", 100, 3600), ("5/10m", 5, 600), ("3/s", 3, 1), ("1/day", 1, 86400)],
)
def test_rates_are_read_from_the_setting(text: str, count: int, seconds: int) -> None:
    assert parse_rate(text) == Rate(count=count, seconds=seconds)


@pytest.mark.parametrize("text", ["", "ten/m", "10", "10/x", "0/m", "-1/m"])
def test_a_malformed_rate_is_a_configuration_error(text: str) -> None:
    with pytest.raises(ImproperlyConfigured, match="10/m"):
        parse_rate(text)
