from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from lists.blocking import block_client, check_not_blocked
from lists.errors import ClientBlocked
from lists.keys import issue_api_key
from lists.models import BlockedClient
from tests.lists.factories import MailerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client: Client, settings) -> Client:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    user = User.objects.create_superuser("boss", "boss@example.com", "pw")
    client.force_login(user)
    return client


def test_blocked_clients_are_listed_in_admin(admin_client: Client) -> None:
    block_client(ip="203.0.113.7", mailer=MailerFactory.create(name="Acme"), refusals=5)

    response = admin_client.get("/admin/lists/blockedclient/")

    assert response.status_code == 200
    body = response.content.decode()
    assert "203.0.113.7" in body
    assert "Acme" in body


def test_the_unblock_action_lifts_the_block_at_once(admin_client: Client) -> None:
    block_client(ip="203.0.113.7", mailer=None, refusals=5)
    block = BlockedClient.objects.get()
    with pytest.raises(ClientBlocked):
        check_not_blocked(ip="203.0.113.7")

    response = admin_client.post(
        "/admin/lists/blockedclient/",
        {"action": "unblock", "_selected_action": [block.pk]},
        follow=True,
    )

    assert "1 address unblocked." in response.content.decode()
    block.refresh_from_db()
    assert block.lifted_by is not None
    assert block.lifted_by.username == "boss"
    check_not_blocked(ip="203.0.113.7")  # no longer raises
    assert cache.get("optout:blocked:203.0.113.7") is None

    check_not_blocked(ip="203.0.113.7")

    assert not BlockedClient.objects.get().active or BlockedClient.objects.get().blocked_until


def test_an_expired_block_no_longer_blocks() -> None:
    cache.set("optout:blocked:203.0.113.7", timezone.now() - timedelta(seconds=1))

    check_not_blocked(ip="203.0.113.7")  # does not raise


def test_blocks_cannot_be_added_by_hand(admin_client: Client) -> None:
    assert admin_client.get("/admin/lists/blockedclient/add/").status_code == 403


def test_api_keys_are_listed_with_prefix_and_last_use_but_never_the_key(
    admin_client: Client,
) -> None:
    api_key, clear = issue_api_key(mailer=MailerFactory.create(name="Acme"), name="nightly")

    response = admin_client.get("/admin/lists/mailerapikey/")

    body = response.content.decode()
    assert api_key.prefix in body
    assert "nightly" in body
    assert clear not in body
