"""The customer-managed one-click endpoint a journey platform posts to: /j/<key>/."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.test import Client

from consent.models import ConsentEvent, JourneyOptOutRequest, JourneyRequestState, Suppression
from lists.services import service_links
from tests.consent.fake_adobe import DECRYPT_PATH, TOKEN_PATH, FakeAdobe, consent_response
from tests.lists.factories import JourneyIntegrationFactory, MailingListFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def adobe() -> Iterator[FakeAdobe]:
    with FakeAdobe() as fake:
        yield fake


def test_a_post_with_params_in_the_query_string_stores_the_pair_and_answers_at_once(
    client: Client, django_capture_on_commit_callbacks
) -> None:
    integration = JourneyIntegrationFactory.create(lists=[MailingListFactory.create()])

    with django_capture_on_commit_callbacks() as queued:
        response = client.post(
            f"/j/{integration.endpoint_key}/?params=ENC-PARAMS&pid=ENC-PID",
            {"List-Unsubscribe": "One-Click"},
            HTTP_USER_AGENT="AJO",
        )

    assert response.status_code == 200
    assert not response.cookies
    assert b"Your request has been received" in response.content
    row = JourneyOptOutRequest.objects.get()
    assert (row.integration, row.params, row.pid, row.state) == (
        integration,
        "ENC-PARAMS",
        "ENC-PID",
        JourneyRequestState.PENDING,
    )
    assert (row.ip, row.user_agent) == ("127.0.0.0", "AJO")
    assert len(queued) == 1  # the decrypt task, after commit
    assert not ConsentEvent.objects.exists()  # never decrypted inside the request


def test_a_form_body_works_too_urlencoded_or_multipart(client: Client) -> None:
    integration = JourneyIntegrationFactory.create()
    url = f"/j/{integration.endpoint_key}/"

    client.post(url, "params=A1&pid=B1", content_type="application/x-www-form-urlencoded")
    client.post(url, {"params": "A2", "pid": "B2"})  # multipart

    assert sorted(JourneyOptOutRequest.objects.values_list("params", "pid")) == [
        ("A1", "B1"),
        ("A2", "B2"),
    ]


def test_an_unencoded_plus_that_arrived_as_a_space_is_put_back(client: Client) -> None:
    integration = JourneyIntegrationFactory.create()

    client.post(f"/j/{integration.endpoint_key}/?params=ab+cd==&pid=x+y")

    assert JourneyOptOutRequest.objects.values_list("params", "pid").get() == ("ab+cd==", "x+y")


@pytest.mark.parametrize(
    "query",
    [
        "",
        "?params=only",
        "?pid=only",
        "?params=&pid=",
        "?params=%22quoted%22&pid=x",
        "?params=a%00b&pid=x",
        "?params=" + "A" * 5000 + "&pid=x",
    ],
)
def test_missing_or_malformed_params_get_a_clear_400_and_store_nothing(
    client: Client, query: str
) -> None:
    integration = JourneyIntegrationFactory.create()

    response = client.post(f"/j/{integration.endpoint_key}/{query}")

    assert response.status_code == 400
    assert b"is missing or is not an encrypted value" in response.content
    assert not JourneyOptOutRequest.objects.exists()


def test_a_broken_multipart_body_gets_a_400_not_a_500(client: Client) -> None:
    integration = JourneyIntegrationFactory.create()

    response = client.generic(
        "POST",
        f"/j/{integration.endpoint_key}/",
        b"--nothing-here",
        content_type="multipart/form-data; boundary=",
    )

    assert response.status_code == 400
    assert not JourneyOptOutRequest.objects.exists()


def test_an_unknown_or_inactive_endpoint_answers_404(client: Client) -> None:
    inactive = JourneyIntegrationFactory.create(active=False)

    assert client.post("/j/nosuchkey/?params=a&pid=b").status_code == 404
    assert client.post(f"/j/{inactive.endpoint_key}/?params=a&pid=b").status_code == 404
    assert not JourneyOptOutRequest.objects.exists()


def test_a_get_never_acts_and_offers_a_button_that_posts_the_pair(client: Client) -> None:
    integration = JourneyIntegrationFactory.create()

    response = client.get(f"/j/{integration.endpoint_key}/?params=ENC-P&pid=ENC-I")

    assert response.status_code == 200
    assert not response.cookies
    body = response.content.decode()
    assert '<form method="post"' in body
    assert 'name="params" value="ENC-P"' in body
    assert 'name="pid" value="ENC-I"' in body
    assert not JourneyOptOutRequest.objects.exists()
    assert "<form" not in client.get(f"/j/{integration.endpoint_key}/").content.decode()


def test_the_same_pair_posted_twice_records_one_opt_out(
    client: Client, adobe: FakeAdobe, django_capture_on_commit_callbacks
) -> None:
    newsletter = MailingListFactory.create()
    integration = JourneyIntegrationFactory.create(
        lists=[newsletter],
        decrypt_url=f"{adobe.url}{DECRYPT_PATH}",
        token_url=f"{adobe.url}{TOKEN_PATH}",
    )
    adobe.add_pair("ENC-P", "ENC-I", consent_response(email="john@example.com"))
    url = f"/j/{integration.endpoint_key}/?params=ENC-P&pid=ENC-I"

    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            assert client.post(url).status_code == 200

    assert JourneyOptOutRequest.objects.get().state == JourneyRequestState.DONE
    assert Suppression.objects.get().mailing_list == newsletter
    assert ConsentEvent.objects.count() == 1
    assert len(adobe.decrypt_requests) == 1


def test_the_list_service_links_show_the_customer_managed_endpoints() -> None:
    newsletter = MailingListFactory.create()
    integration = JourneyIntegrationFactory.create(name="AJO prod", lists=[newsletter])
    JourneyIntegrationFactory.create(name="Old", lists=[newsletter], active=False)

    values = {str(link.label): link.value for link in service_links(mailing_list=newsletter)}

    key = integration.endpoint_key
    assert values["AJO prod: customer-managed one-click unsubscribe URL (POST)"] == (
        f"http://127.0.0.1:8000/j/{key}/"
    )
    assert values["AJO prod: customer-managed mailto (unsubscribe) address"] == (
        f"unsubscribe+journey-{key}@127.0.0.1"
    )
    assert not any(label.startswith("Old") for label in values)
