from __future__ import annotations

import pytest
from django.test import Client

from consent.models import Suppression
from lists.blocking import unblock_client
from lists.models import BlockedClient
from tests.preferences.conftest import Partner

pytestmark = pytest.mark.django_db


def download(client: Client, partner: Partner, remote: str, **headers: str):
    return client.get(
        f"/api/v1/lists/{partner.mailing_list.uuid}/suppressions/plain/",
        headers={**partner.headers, **headers},
        REMOTE_ADDR=remote,
    )


@pytest.mark.parametrize("remote", ["127.0.0.1", "2001:db8::7", "::ffff:127.0.0.9"])
def test_downloads_are_served_inside_the_allowed_networks(
    client: Client, partner: Partner, remote: str
) -> None:
    response = download(client, partner, remote)

    assert response.status_code == 200
    assert response.streaming


@pytest.mark.parametrize("remote", ["203.0.113.7", "2001:db9::1"])
def test_downloads_from_elsewhere_get_403_ip_not_allowed(
    client: Client, partner: Partner, remote: str
) -> None:
    response = download(client, partner, remote)

    assert response.status_code == 403
    body = response.json()
    assert body["code"] == "ip_not_allowed"
    assert remote in body["message"]


def test_reports_from_outside_the_allowlist_are_refused_and_record_nothing(
    client: Client, partner: Partner
) -> None:
    response = client.post(
        f"/api/v1/lists/{partner.mailing_list.uuid}/opt-outs/",
        {"emails": ["a@example.com"]},
        content_type="application/json",
        headers=partner.headers,
        REMOTE_ADDR="198.51.100.1",
    )

    assert response.status_code == 403
    assert not Suppression.objects.exists()


def test_a_spoofed_x_forwarded_for_is_ignored_without_a_trusted_proxy(
    client: Client, partner: Partner
) -> None:
    response = download(client, partner, "203.0.113.7", **{"X-Forwarded-For": "127.0.0.1"})

    assert response.status_code == 403
    assert "203.0.113.7" in response.json()["message"]


def test_x_forwarded_for_counts_only_behind_a_trusted_proxy(
    client: Client, partner: Partner, settings: object
) -> None:
    settings.OPTOUT_TRUSTED_PROXIES = ["10.0.0.0/8"]  # type: ignore[attr-defined]

    allowed = download(client, partner, "10.1.2.3", **{"X-Forwarded-For": "127.0.0.5"})
    # The client prepends a fake hop; the proxy appends the real one, which wins.
    spoofed = download(client, partner, "10.1.2.3", **{"X-Forwarded-For": "127.0.0.5, 203.0.113.9"})

    assert allowed.status_code == 200
    assert spoofed.status_code == 403
    assert "203.0.113.9" in spoofed.json()["message"]


def test_an_address_refused_too_often_is_blocked_for_an_hour(
    client: Client, partner: Partner, settings: object
) -> None:
    settings.OPTOUT_REFUSALS_BEFORE_BLOCK = 3  # type: ignore[attr-defined]

    statuses = [download(client, partner, "203.0.113.7").status_code for _ in range(3)]
    blocked = client.get("/api/v1/lists/", headers=partner.headers, REMOTE_ADDR="203.0.113.7")

    assert statuses == [403, 403, 429]
    # Once blocked, every API request from the address is refused, even allowed operations.
    assert blocked.status_code == 429
    assert blocked.json()["code"] == "client_blocked"
    assert 3500 < int(blocked["Retry-After"]) <= 3600
    row = BlockedClient.objects.get()
    assert (row.ip, row.mailer, row.refusals, row.active) == (
        "203.0.113.7",
        partner.mailer,
        3,
        True,
    )
    # Other addresses are not affected.
    assert download(client, partner, "127.0.0.1").status_code == 200


def test_unblocking_lets_the_address_in_again(
    client: Client, partner: Partner, settings: object
) -> None:
    settings.OPTOUT_REFUSALS_BEFORE_BLOCK = 1  # type: ignore[attr-defined]
    settings.OPTOUT_TRUSTED_PROXIES = ["10.0.0.0/8"]  # type: ignore[attr-defined]
    assert (
        download(client, partner, "10.0.0.1", **{"X-Forwarded-For": "192.0.2.1"}).status_code == 429
    )
    block = BlockedClient.objects.get()

    assert unblock_client(block=block, user=None)

    block.refresh_from_db()
    assert block.lifted_at is not None
    assert not block.active
    response = client.get(
        "/api/v1/lists/",
        headers=partner.headers,
        REMOTE_ADDR="10.0.0.1",
        HTTP_X_FORWARDED_FOR="192.0.2.1",
    )
    assert response.status_code == 200
    assert not unblock_client(block=block, user=None)


def test_refusals_are_counted_per_address(
    client: Client, partner: Partner, settings: object
) -> None:
    settings.OPTOUT_REFUSALS_BEFORE_BLOCK = 2  # type: ignore[attr-defined]

    first = download(client, partner, "203.0.113.1").status_code
    second = download(client, partner, "203.0.113.2").status_code

    assert (first, second) == (403, 403)
    assert not BlockedClient.objects.exists()
