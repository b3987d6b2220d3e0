"""`GET /api/v1/lists/<uuid>/consent-export/`: consent changes as XDM JSON lines."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.http import StreamingHttpResponse
from django.test import Client

from consent.models import Source
from consent.origins import Origin
from consent.services import resubscribe, unsubscribe
from lists.models import MailerAccess
from tests.consent.factories import ContactFactory
from tests.preferences.conftest import Partner

pytestmark = pytest.mark.django_db

MONDAY = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _url(partner: Partner) -> str:
    return f"/api/v1/lists/{partner.mailing_list.uuid}/consent-export/"


def _records(response) -> list[dict]:
    assert response.streaming
    return [json.loads(line) for line in response.getvalue().decode().splitlines()]


@pytest.fixture
def history(partner: Partner):
    """Ann opts out on Monday and back in on Tuesday; Bob opts out on Wednesday."""
    ann = ContactFactory.create(address="ann@example.com")
    bob = ContactFactory.create(address="bob@example.com")
    origin = Origin(source=Source.ONE_CLICK)
    with time_machine.travel(MONDAY, tick=False):
        unsubscribe(contact=ann, mailing_list=partner.mailing_list, origin=origin)
    with time_machine.travel(MONDAY + timedelta(days=1), tick=False):
        resubscribe(contact=ann, mailing_list=partner.mailing_list, origin=origin)
    with time_machine.travel(MONDAY + timedelta(days=2), tick=False):
        unsubscribe(contact=bob, mailing_list=partner.mailing_list, origin=origin)
    return ann, bob


def test_the_export_streams_one_xdm_consent_record_per_change(
    api: Client, partner: Partner, history
) -> None:
    ann, bob = history

    response = api.get(_url(partner))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/x-ndjson"
    assert response["Cache-Control"] == "no-store"
    records = _records(response)
    assert [r["consents"]["marketing"]["email"]["val"] for r in records] == ["n", "y", "n"]
    assert records[0]["consents"]["marketing"]["email"] == {
        "val": "n",
        "time": "2026-03-02T09:00:00Z",
        "reason": "one_click",
    }
    assert records[0]["identityMap"]["Email"] == [{"id": "ann@example.com", "primary": True}]
    assert records[0]["identityMap"]["Email_LC_SHA256"] == [{"id": ann.sha256, "primary": False}]
    assert records[2]["identityMap"]["Email"][0]["id"] == "bob@example.com"
    assert records[2]["identityMap"]["Email_LC_SHA256"][0]["id"] == bob.sha256


def test_the_export_since_a_time_has_only_later_changes(
    api: Client, partner: Partner, history
) -> None:
    response = api.get(_url(partner), {"since": "2026-03-03T09:00:00Z"})

    records = _records(response)
    assert [
        (r["identityMap"]["Email"][0]["id"], r["consents"]["marketing"]["email"]["val"])
        for r in records
    ] == [("ann@example.com", "y"), ("bob@example.com", "n")]


def test_the_hashed_export_carries_no_address(api: Client, partner: Partner, history) -> None:
    response = api.get(_url(partner), {"hashed": "true"})

    records = _records(response)
    assert len(records) == 3
    assert "@example.com" not in json.dumps(records)
    assert all(list(r["identityMap"]) == ["Email_LC_SHA256"] for r in records)
    assert records[0]["identityMap"]["Email_LC_SHA256"][0]["primary"] is True


def test_the_export_is_a_generator_written_in_batches(
    api: Client, partner: Partner, history, settings
) -> None:
    settings.OPTOUT_DOWNLOAD_CHUNK_ROWS = 2

    response = api.get(_url(partner))
    assert isinstance(response, StreamingHttpResponse)
    chunks = list(response.streaming_content)

    assert [chunk.count(b"\n") for chunk in chunks] == [2, 1]


def test_the_export_needs_the_download_permission_and_an_allowed_network(
    api: Client, partner: Partner
) -> None:
    outside = api.get(_url(partner), REMOTE_ADDR="198.51.100.7")
    MailerAccess.objects.filter(pk=partner.access.pk).update(can_download=False)
    refused = api.get(_url(partner))

    assert (outside.status_code, outside.json()["code"]) == (403, "ip_not_allowed")
    assert (refused.status_code, refused.json()["code"]) == (403, "not_permitted")


def test_an_empty_since_is_refused_rather_than_read_as_everything(
    api: Client, partner: Partner
) -> None:
    response = api.get(_url(partner) + "?since=")

    assert (response.status_code, response.json()["code"]) == (400, "invalid_input")


def test_the_export_is_in_the_openapi_schema(client: Client) -> None:
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")

    operation = response.json()["paths"]["/api/v1/lists/{list_uuid}/consent-export/"]["get"]
    assert operation["operationId"] == "export_consent"
    assert "application/x-ndjson" in operation["responses"]["200"]["content"]
    assert {p["name"] for p in operation["parameters"]} >= {"since", "hashed", "list_uuid"}
