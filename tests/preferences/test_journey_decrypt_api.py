"""`GET /api/v1/decrypt/`: our own landing page params, answered in the platform's shape."""

from __future__ import annotations

import pytest
from django.test import Client

from consent.linkcrypto import encrypt_link_params
from lists.models import ConsentLevel, MailingList
from preferences.apis import DecryptLinkParamsApi
from tests.consent.factories import ContactFactory
from tests.lists.factories import MailerAccessFactory, MailingListFactory
from tests.preferences.conftest import Partner

pytestmark = pytest.mark.django_db


def test_a_pair_of_a_list_the_key_may_use_answers_the_platform_decrypt_shape(
    api: Client, partner: Partner
) -> None:
    MailingList.objects.filter(pk=partner.mailing_list.pk).update(
        consent_level=ConsentLevel.IDENTITY
    )
    contact = ContactFactory.create(address="ann@example.com")
    pair = encrypt_link_params(
        contact=contact,
        mailing_list=partner.mailing_list,
        mailer=partner.mailer,
        campaign={"journeyId": "j-42"},
    )

    response = api.get("/api/v1/decrypt/", {"params": pair.params, "pid": pair.pid})

    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    body = response.json()
    output = DecryptLinkParamsApi.OutputSerializer(data=body)
    assert output.is_valid(), output.errors
    assert body["emailAddress"] == "ann@example.com"
    assert (body["profileNameSpace"], body["profileId"]) == ("Email_LC_SHA256", contact.sha256)
    assert (body["optOutLevel"], body["channelType"]) == ("identity", "email")
    assert body["listId"] == str(partner.mailing_list.uuid)
    assert body["mailer"] == partner.mailer.name
    assert body["journeyId"] == "j-42"


def test_a_forged_pair_and_a_pair_of_a_foreign_list_get_the_same_error(
    api: Client, partner: Partner
) -> None:
    foreign_list = MailerAccessFactory.create().mailing_list  # another mailer's list
    unshared = MailingListFactory.create()
    contact = ContactFactory.create()
    foreign = encrypt_link_params(contact=contact, mailing_list=foreign_list)
    unseen = encrypt_link_params(contact=contact, mailing_list=unshared)
    own = encrypt_link_params(contact=contact, mailing_list=partner.mailing_list)

    answers = [
        api.get("/api/v1/decrypt/", {"params": params, "pid": pid})
        for params, pid in (
            (foreign.params, foreign.pid),
            (unseen.params, unseen.pid),
            ("forged", "pair"),
            (own.params, foreign.pid),  # two halves of different lists
            (own.pid, own.params),  # halves swapped
        )
    ]

    assert {response.status_code for response in answers} == {404}
    bodies = [{**response.json(), "request_id": ""} for response in answers]
    assert bodies[0]["code"] == "invalid_link_params"
    assert all(body == bodies[0] for body in bodies)


def test_missing_params_are_invalid_input(api: Client) -> None:
    response = api.get("/api/v1/decrypt/", {"params": "", "pid": "x"})

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_input"
    assert "params" in response.json()["fields"]


def test_odd_but_schema_valid_values_are_simply_not_a_pair(api: Client) -> None:
    response = api.get("/api/v1/decrypt/", {"params": "\x00 ", "pid": "   "})

    assert (response.status_code, response.json()["code"]) == (404, "invalid_link_params")


def test_decrypt_needs_a_key_and_an_allowed_network(client: Client, partner: Partner) -> None:
    pair = encrypt_link_params(contact=ContactFactory.create(), mailing_list=partner.mailing_list)
    query = {"params": pair.params, "pid": pair.pid}

    anonymous = client.get("/api/v1/decrypt/", query)
    outside = client.get(
        "/api/v1/decrypt/", query, REMOTE_ADDR="198.51.100.7", headers=partner.headers
    )

    assert anonymous.status_code == 401
    assert (outside.status_code, outside.json()["code"]) == (403, "ip_not_allowed")
