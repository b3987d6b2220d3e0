"""Consent export back to the journey platform: XDM Consents & Preferences JSON lines."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.http import StreamingHttpResponse
from django.test import Client

from consent.journey_selectors import consent_changes_for_export
from consent.models import Source
from consent.origins import Origin
from consent.services import resubscribe, unsubscribe
from tests.consent.factories import ContactFactory
from tests.lists.factories import CategoryFactory, MailingListFactory, UserFactory

pytestmark = pytest.mark.django_db

T0 = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)


def origin(source: Source = Source.ONE_CLICK, at: datetime = T0) -> Origin:
    return Origin(source=source, occurred_at=at)


def test_changes_export_as_xdm_consent_lines_with_identity_map() -> None:
    newsletter = MailingListFactory.create()
    jane = ContactFactory.create(address="jane@example.com")
    with time_machine.travel(T0, tick=False):
        unsubscribe(contact=jane, mailing_list=newsletter, origin=origin())
    with time_machine.travel(T0 + timedelta(hours=1), tick=False):
        resubscribe(
            contact=jane,
            mailing_list=newsletter,
            origin=origin(Source.PREFERENCE_CENTER, T0 + timedelta(hours=1)),
        )

    lines = list(consent_changes_for_export(mailing_list=newsletter))

    assert all(line.endswith("\n") for line in lines)
    out, back = (json.loads(line) for line in lines)
    assert out["consents"] == {
        "marketing": {"email": {"val": "n", "time": "2025-03-01T08:00:00Z", "reason": "one_click"}}
    }
    assert back["consents"]["marketing"]["email"] == {
        "val": "y",
        "time": "2025-03-01T09:00:00Z",
        "reason": "preference_center",
    }
    assert out["identityMap"] == {
        "Email": [{"id": "jane@example.com", "primary": True}],
        "Email_LC_SHA256": [{"id": jane.sha256, "primary": False}],
    }
    assert out["_id"] != back["_id"]


def test_hashed_only_export_carries_no_address() -> None:
    newsletter = MailingListFactory.create()
    jane = ContactFactory.create(address="jane@example.com")
    unsubscribe(contact=jane, mailing_list=newsletter, origin=origin())

    (line,) = consent_changes_for_export(mailing_list=newsletter, hashed_only=True)

    assert "jane@example.com" not in line
    assert json.loads(line)["identityMap"] == {
        "Email_LC_SHA256": [{"id": jane.sha256, "primary": True}]
    }


def test_only_whole_list_changes_of_that_list_since_the_time_are_exported() -> None:
    newsletter, offers = MailingListFactory.create_batch(2)
    news = CategoryFactory.create(mailing_list=newsletter)
    early, late, repeat = ContactFactory.create_batch(3)
    with time_machine.travel(T0, tick=False):
        unsubscribe(contact=early, mailing_list=newsletter, origin=origin())
    with time_machine.travel(T0 + timedelta(days=1), tick=False):
        unsubscribe(contact=late, mailing_list=newsletter, origin=origin())
        unsubscribe(contact=late, mailing_list=newsletter, origin=origin())  # no change
        unsubscribe(contact=repeat, mailing_list=newsletter, category=news, origin=origin())
        unsubscribe(contact=repeat, mailing_list=offers, origin=origin())

    lines = list(
        consent_changes_for_export(mailing_list=newsletter, since=T0 + timedelta(hours=12))
    )

    assert [json.loads(line)["identityMap"]["Email"][0]["id"] for line in lines] == [late.address]


def test_the_export_is_one_streamed_query(django_assert_num_queries) -> None:
    newsletter = MailingListFactory.create()
    for contact in ContactFactory.create_batch(5):
        unsubscribe(contact=contact, mailing_list=newsletter, origin=origin())

    with django_assert_num_queries(1):
        assert len(list(consent_changes_for_export(mailing_list=newsletter))) == 5


def test_admin_downloads_the_export_as_json_lines(client: Client) -> None:
    client.force_login(UserFactory.create(is_staff=True, is_superuser=True))
    newsletter = MailingListFactory.create(slug="news")
    unsubscribe(contact=ContactFactory.create(), mailing_list=newsletter, origin=origin())

    form = client.get("/admin/consent/journeyoptoutrequest/export/")
    response = client.get(
        "/admin/consent/journeyoptoutrequest/export/", {"mailing_list": newsletter.pk}
    )

    assert form.status_code == 200
    assert b"Export consent to the journey platform" in form.content
    assert response["Content-Type"] == "application/x-ndjson"
    assert 'filename="consent-news-' in response["Content-Disposition"]
    assert isinstance(response, StreamingHttpResponse)
    (line,) = b"".join(response.streaming_content).decode().splitlines()
    assert json.loads(line)["consents"]["marketing"]["email"]["val"] == "n"
