from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from consent.models import Contact, Suppression
from consent.tokens import read_token
from tests.lists.factories import MailerAccessFactory, MailerFactory, MailingListFactory

pytestmark = pytest.mark.django_db


def _links(**options: str) -> dict[str, object]:
    out = StringIO()
    call_command("links", stdout=out, **options)
    return json.loads(out.getvalue())


def test_it_prints_every_link_and_header_for_a_new_address(settings) -> None:
    settings.OPTOUT_PUBLIC_URL = "https://optout.example"
    settings.OPTOUT_MAILTO_DOMAIN = "mx.example"
    newsletter = MailingListFactory.create(slug="news")

    links = _links(list="news", email=" Jane@Example.com ")

    contact = Contact.objects.get()
    assert contact.address == "jane@example.com"
    assert (links["list"], links["email"], links["mailer"]) == ("news", "jane@example.com", None)
    token = str(links["one_click_url"]).rsplit("/", 2)[-2]
    claim = read_token(token)
    assert claim is not None
    assert (claim.contact, claim.mailing_list) == (contact, newsletter)
    assert links["unsubscribe_url"] == f"https://optout.example/u/{newsletter.uuid}/{token}/"
    assert links["preference_url"] == f"https://optout.example/p/{token}/"
    assert links["one_click_url"] == f"https://optout.example/o/{token}/"
    assert links["mailto"] == f"mailto:unsubscribe+{token}@mx.example"
    assert links["headers"] == {
        "List-Unsubscribe": (
            f"<mailto:unsubscribe+{token}@mx.example?subject=unsubscribe>, "
            f"<https://optout.example/o/{token}/>"
        ),
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


def test_the_printed_one_click_url_works(client: Client) -> None:
    MailingListFactory.create(slug="news")
    links = _links(list="news", email="jane@example.com")
    path = str(links["one_click_url"]).split("://", 1)[1].split("/", 1)[1]

    response = client.post(
        f"/{path}", "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )

    assert response.status_code == 200
    assert Suppression.objects.filter(contact__address="jane@example.com").exists()


def test_a_mailer_is_signed_into_the_token() -> None:
    access = MailerAccessFactory.create(mailer__name="Acme Mail", mailing_list__slug="news")

    links = _links(list="news", email="jane@example.com", mailer="Acme Mail")

    token = str(links["one_click_url"]).rsplit("/", 2)[-2]
    claim = read_token(token)
    assert claim is not None
    assert claim.mailer == access.mailer
    assert links["mailer"] == "Acme Mail"


def test_a_transactional_list_gets_no_headers() -> None:
    MailingListFactory.create(slug="receipts", transactional=True)

    links = _links(list="receipts", email="jane@example.com")

    assert links["headers"] == {}


def test_running_it_twice_reuses_the_contact() -> None:
    MailingListFactory.create(slug="news")

    first = _links(list="news", email="jane@example.com")
    second = _links(list="news", email="JANE@example.com")

    assert first == second
    assert Contact.objects.count() == 1


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"list": "nope", "email": "jane@example.com"}, "No list with slug 'nope'"),
        ({"list": "news", "email": "not an address"}, "not a valid email address"),
        ({"list": "news", "email": "jane@example.com", "mailer": "Nobody"}, "No mailer named"),
        ({"list": "news", "email": "jane@example.com", "mailer": "Other"}, "has no access"),
    ],
    ids=["unknown-list", "bad-address", "unknown-mailer", "mailer-without-access"],
)
def test_mistakes_fail_with_a_clear_message(options: dict[str, str], message: str) -> None:
    MailingListFactory.create(slug="news")
    MailerFactory.create(name="Other")

    with pytest.raises(CommandError, match=message):
        call_command("links", stdout=StringIO(), **options)

    assert not Contact.objects.exists()
