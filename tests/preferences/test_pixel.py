from __future__ import annotations

import pytest
from django.test import Client

from consent.models import ConsentEvent, Contact, Source, Suppression
from preferences.views.unsubscribe import PIXEL_GIF
from tests.lists.factories import MailerAccessFactory, MailingListFactory

pytestmark = pytest.mark.django_db


def _assert_pixel(response) -> None:
    assert response.status_code == 200
    assert response["Content-Type"] == "image/gif"
    assert response.content == PIXEL_GIF
    assert response.content.startswith(b"GIF89a")
    assert response.content[6:10] == b"\x01\x00\x01\x00"  # 1x1
    assert "no-cache" in response["Cache-Control"]
    assert "no-store" in response["Cache-Control"]
    assert response["Pragma"] == "no-cache"
    assert not response.cookies


def test_a_valid_key_records_an_opt_out_with_the_mailer(client: Client) -> None:
    access = MailerAccessFactory.create()
    newsletter = access.mailing_list

    response = client.get(
        f"/x/{newsletter.uuid}/{access.pixel_key}.gif", {"email": "Jane@Example.com"}
    )

    _assert_pixel(response)
    contact = Contact.objects.get(address="jane@example.com")
    assert Suppression.objects.get().contact == contact
    event = ConsentEvent.objects.get()
    assert (event.source, event.mailer, event.mailing_list) == (
        Source.PIXEL,
        access.mailer,
        newsletter,
    )


def test_a_plus_the_mailer_forgot_to_encode_is_read_back(client: Client) -> None:
    access = MailerAccessFactory.create()

    client.get(f"/x/{access.mailing_list.uuid}/{access.pixel_key}.gif?email=jane+news@example.com")

    assert Contact.objects.get().address == "jane+news@example.com"


def test_a_key_of_another_list_records_nothing(client: Client) -> None:
    access = MailerAccessFactory.create()
    other = MailingListFactory.create()

    response = client.get(f"/x/{other.uuid}/{access.pixel_key}.gif", {"email": "j@example.com"})

    _assert_pixel(response)
    assert not ConsentEvent.objects.exists()
    assert not Contact.objects.exists()


@pytest.mark.parametrize(
    ("key", "query"),
    [
        ("unknown-key", {"email": "jane@example.com"}),
        (None, {"email": "not an address"}),
        (None, {"email": ""}),
        (None, {}),
    ],
    ids=["unknown-key", "invalid-address", "empty-address", "no-address"],
)
def test_anything_else_still_gets_the_pixel_and_records_nothing(
    client: Client, key: str | None, query: dict[str, str]
) -> None:
    access = MailerAccessFactory.create()

    response = client.get(f"/x/{access.mailing_list.uuid}/{key or access.pixel_key}.gif", query)

    _assert_pixel(response)
    assert not ConsentEvent.objects.exists()
    assert not Suppression.objects.exists()


def test_a_repeat_keeps_one_suppression(client: Client) -> None:
    access = MailerAccessFactory.create()
    url = f"/x/{access.mailing_list.uuid}/{access.pixel_key}.gif?email=jane@example.com"

    client.get(url)
    client.get(url)

    assert Suppression.objects.count() == 1
    assert ConsentEvent.objects.count() == 2


def test_a_head_request_gets_the_pixel_and_records_nothing(client: Client) -> None:
    access = MailerAccessFactory.create()

    response = client.head(
        f"/x/{access.mailing_list.uuid}/{access.pixel_key}.gif?email=jane@example.com"
    )

    assert response.status_code == 200
    assert not ConsentEvent.objects.exists()
