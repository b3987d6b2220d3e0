"""Lists with a landing page: the unsubscribe link is the brand's page with our params/pid."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client

from consent.linkcrypto import read_link_params
from consent.tokens import links_for, make_token
from lists.models import MailingList
from tests.consent.factories import ContactFactory
from tests.lists.factories import MailerAccessFactory
from tests.preferences.conftest import Partner

pytestmark = pytest.mark.django_db

LANDING = "https://brand.example/unsubscribe?lang=en"


def _links(api: Client, partner: Partner, body: dict):
    return api.post(
        f"/api/v1/lists/{partner.mailing_list.uuid}/links/",
        json.dumps(body),
        content_type="application/json",
    )


def _pair(url: str) -> tuple[str, str, dict[str, list[str]]]:
    query = parse_qs(urlsplit(url).query)
    return query["params"][0], query["pid"][0], query


def test_the_links_api_sends_recipients_to_the_landing_page_with_encrypted_params(
    api: Client, partner: Partner
) -> None:
    MailingList.objects.filter(pk=partner.mailing_list.pk).update(landing_page_url=LANDING)

    response = _links(
        api,
        partner,
        {
            "emails": ["Ann@Example.com"],
            "campaign": [
                {"name": "journeyId", "value": "j-6"},
                {"name": "journeyId", "value": "j-7"},
            ],
        },
    )

    assert response.status_code == 200
    [recipient] = response.json()["recipients"]
    url = recipient["unsubscribe_url"]
    assert url.startswith("https://brand.example/unsubscribe?")
    assert "ann" not in url.lower()
    params, pid, query = _pair(url)
    assert query["lang"] == ["en"]
    claim = read_link_params(params=params, pid=pid)
    assert claim is not None
    assert claim.contact.address == "ann@example.com"
    assert (claim.mailing_list, claim.mailer) == (partner.mailing_list, partner.mailer)
    assert claim.campaign == {"journeyId": "j-7"}
    # One-click and mailto still reach Optout, which records the opt-out itself.
    assert recipient["one_click_url"].startswith("http")
    assert "brand.example" not in recipient["list_unsubscribe"]


def test_without_a_landing_page_the_unsubscribe_link_stays_on_optout(
    api: Client, partner: Partner
) -> None:
    response = _links(api, partner, {"emails": ["ann@example.com"]})

    [recipient] = response.json()["recipients"]
    assert f"/u/{partner.mailing_list.uuid}/" in recipient["unsubscribe_url"]
    assert "params=" not in recipient["unsubscribe_url"]


@pytest.mark.parametrize(
    "campaign",
    [
        [{"name": f"field{n}", "value": "x"} for n in range(11)],
        [{"name": "", "value": "x"}],
        [{"name": "n" * 41, "value": "x"}],
        [{"name": "n", "value": "v" * 201}],
        [{"name": "n", "value": 0}],
    ],
)
def test_campaign_fields_past_the_limits_are_invalid_input(
    api: Client, partner: Partner, campaign
) -> None:
    response = _links(api, partner, {"emails": ["ann@example.com"], "campaign": campaign})

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_input"
    assert "campaign" in response.json()["fields"]


def test_links_for_uses_the_landing_page_of_a_list_that_has_one() -> None:
    access = MailerAccessFactory.create(mailing_list__landing_page_url=LANDING)
    contact = ContactFactory.create()

    links = links_for(
        contact=contact,
        mailing_list=access.mailing_list,
        mailer=access.mailer,
        campaign={"campaignId": "c-1"},
    )

    params, pid, _query = _pair(links.unsubscribe_url)
    claim = read_link_params(params=params, pid=pid)
    assert claim is not None
    assert (claim.contact, claim.mailer, claim.campaign) == (
        contact,
        access.mailer,
        {"campaignId": "c-1"},
    )
    token = make_token(contact=contact, mailing_list=access.mailing_list, mailer=access.mailer)
    assert links.preference_url.endswith(f"{token}/")
    assert token in (links.one_click_url or "")
