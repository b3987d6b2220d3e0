"""The decrypt API view for our own link parameters (routed by the integrator at merge)."""

from __future__ import annotations

from collections.abc import Collection

import pytest
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from consent.linkcrypto import encrypt_link_params
from preferences.journey_apis import DecryptLinkParamsApi
from tests.consent.factories import ContactFactory
from tests.lists.factories import MailingListFactory

pytestmark = pytest.mark.django_db


class ListScopedDecryptApi(DecryptLinkParamsApi):
    """Stands in for the mailer API base class: this caller may read `allowed`."""

    allowed: Collection[int] = ()

    def allowed_list_ids(self, request: Request) -> Collection[int]:
        return self.allowed


def call(params: str, pid: str, allowed: Collection[int]):
    request = APIRequestFactory().get("/api/v1/decrypt/", {"params": params, "pid": pid})
    return ListScopedDecryptApi.as_view(allowed=allowed)(request)


def test_the_answer_has_the_platform_shape_and_validates_against_the_output_serializer() -> None:
    newsletter = MailingListFactory.create()
    pair = encrypt_link_params(contact=ContactFactory.create(), mailing_list=newsletter)

    response = call(pair.params, pair.pid, [newsletter.pk])

    assert response.status_code == 200
    output = DecryptLinkParamsApi.OutputSerializer(data=response.data)
    assert output.is_valid(), output.errors
    assert response.data["channelType"] == "email"


def test_a_forged_or_foreign_pair_gets_one_stable_error_code() -> None:
    newsletter, offers = MailingListFactory.create_batch(2)
    pair = encrypt_link_params(contact=ContactFactory.create(), mailing_list=newsletter)

    foreign = call(pair.params, pair.pid, [offers.pk])
    forged = call("forged", "pair", [newsletter.pk])
    missing = call("", "", [newsletter.pk])

    assert (foreign.status_code, foreign.data["code"]) == (400, "invalid_link_params")
    assert forged.data == {**foreign.data, "request_id": forged.data["request_id"]}
    assert (missing.status_code, missing.data["code"]) == (400, "invalid_input")
