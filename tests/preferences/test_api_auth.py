from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from lists.keys import issue_api_key, revoke_api_key
from lists.models import MailerApiKey
from tests.lists.factories import MailerAccessFactory
from tests.preferences.conftest import Partner

pytestmark = pytest.mark.django_db


def test_a_request_without_a_key_is_refused_with_401_and_a_stable_code(client: Client) -> None:
    response = client.get("/api/v1/lists/")

    assert response.status_code == 401
    body = response.json()
    assert body["code"] == "not_authenticated"
    assert body["request_id"] == response["X-Request-ID"]
    assert response["WWW-Authenticate"] == "Api-Key"


def test_a_wrong_key_is_refused_with_invalid_api_key(client: Client, partner: Partner) -> None:
    prefix = partner.key.partition(".")[0]

    response = client.get("/api/v1/lists/", headers={"Authorization": f"Api-Key {prefix}.nope"})

    assert response.status_code == 401
    assert response.json()["code"] == "invalid_api_key"


def test_the_key_is_accepted_in_x_api_key_too(client: Client, partner: Partner) -> None:
    response = client.get("/api/v1/lists/", headers={"X-Api-Key": partner.key})

    assert response.status_code == 200
    assert [row["uuid"] for row in response.json()] == [str(partner.mailing_list.uuid)]


def test_a_revoked_key_is_refused(client: Client, partner: Partner) -> None:
    assert revoke_api_key(api_key=partner.api_key)

    response = client.get("/api/v1/lists/", headers=partner.headers)

    assert response.status_code == 401
    assert response.json()["code"] == "invalid_api_key"


def test_an_expired_key_is_refused(client: Client, partner: Partner) -> None:
    MailerApiKey.objects.filter(pk=partner.api_key.pk).update(
        expiry_date=timezone.now() - timedelta(minutes=1)
    )

    response = client.get("/api/v1/lists/", headers=partner.headers)

    assert response.status_code == 401


def test_a_key_is_stored_hashed_and_records_its_last_use(client: Client, partner: Partner) -> None:
    stored = MailerApiKey.objects.get()
    assert partner.key not in (stored.id, stored.hashed_key)
    assert partner.key.startswith(stored.prefix + ".")
    assert stored.last_used_at is None

    client.get("/api/v1/lists/", headers=partner.headers)

    assert MailerApiKey.objects.get().last_used_at is not None


def test_requests_are_throttled_per_key(client: Client, partner: Partner, settings: object) -> None:
    settings.OPTOUT_API_KEY_RATE = "2/m"  # type: ignore[attr-defined]

    statuses = [client.get("/api/v1/lists/", headers=partner.headers).status_code for _ in range(3)]
    other = MailerAccessFactory.create()
    _, other_key = issue_api_key(mailer=other.mailer, name="other")
    response = client.get("/api/v1/lists/", headers={"Authorization": f"Api-Key {other_key}"})

    assert statuses == [200, 200, 429]
    assert response.status_code == 200


def test_the_throttled_answer_says_when_to_retry(
    client: Client, partner: Partner, settings: object
) -> None:
    settings.OPTOUT_API_KEY_RATE = "1/m"  # type: ignore[attr-defined]
    client.get("/api/v1/lists/", headers=partner.headers)

    response = client.get("/api/v1/lists/", headers=partner.headers)

    assert response.status_code == 429
    assert response.json()["code"] == "throttled"
    assert int(response["Retry-After"]) > 0
