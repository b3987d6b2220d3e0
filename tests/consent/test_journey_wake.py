"""With a broker: receipts wake a worker at most once per interval; workers claim due rows."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.db import connection, transaction
from django.test import Client
from django.utils import timezone

from consent import tasks
from consent.models import ConsentEvent, JourneyOptOutRequest, JourneyRequestState, Suppression
from consent.services import journey, wakeups
from consent.services.journey import claim_due_journey_requests
from tests.consent.brokers import broker_for
from tests.consent.fake_adobe import (
    DECRYPT_PATH,
    TOKEN_PATH,
    FakeAdobe,
    consent_response,
)
from tests.lists.factories import JourneyIntegrationFactory, MailingListFactory

pytestmark = pytest.mark.django_db


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def monotonic(self) -> float:
        return self.now


@pytest.fixture
def broker(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[dict[str, Any]]]:
    """A deployment with a broker: tasks are sent, not run. Records what would be sent."""
    with broker_for(
        monkeypatch, tasks.process_due_journey_requests, journey.wake_journey_worker
    ) as sent:
        yield sent


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(wakeups.time, "monotonic", fake.monotonic)
    return fake


@pytest.fixture
def adobe() -> Iterator[FakeAdobe]:
    with FakeAdobe() as fake:
        yield fake


def post(client: Client, key: str, number: int) -> None:
    response = client.post(f"/j/{key}/?params=P-{number}&pid=I-{number}")
    assert response.status_code == 200


def test_a_burst_of_receipts_wakes_one_task_per_interval(
    client: Client,
    broker: list[dict[str, Any]],
    clock: Clock,
    settings,
    django_capture_on_commit_callbacks,
) -> None:
    settings.OPTOUT_JOURNEY_WAKE_SECONDS = 1.0
    integration = JourneyIntegrationFactory.create(lists=[MailingListFactory.create()])

    with django_capture_on_commit_callbacks(execute=True):
        for number in range(5):
            post(client, integration.endpoint_key, number)
    # One task, run when the interval ends, for all five rows.
    assert broker == [{"countdown": 1.0}]
    rows = JourneyOptOutRequest.objects.all()
    assert rows.count() == 5
    for row in rows:
        assert row.state == JourneyRequestState.PENDING
        assert row.next_attempt_at == row.received_at  # due at once for the woken task

    clock.now += 1.0
    with django_capture_on_commit_callbacks(execute=True):
        post(client, integration.endpoint_key, 5)
        post(client, integration.endpoint_key, 6)
    assert broker == [{"countdown": 1.0}, {"countdown": 1.0}]


def test_the_woken_task_records_every_due_row(
    adobe: FakeAdobe, broker: list[dict[str, Any]], client: Client
) -> None:
    newsletter = MailingListFactory.create()
    integration = JourneyIntegrationFactory.create(
        decrypt_url=f"{adobe.url}{DECRYPT_PATH}",
        token_url=f"{adobe.url}{TOKEN_PATH}",
        sandbox=adobe.sandbox,
        lists=[newsletter],
    )
    for number in range(3):
        adobe.add_pair(
            f"P-{number}",
            f"I-{number}",
            consent_response(email=f"p{number}@example.com", level="profile"),
        )
        post(client, integration.endpoint_key, number)

    assert tasks.process_due_journey_requests() == 3

    assert set(JourneyOptOutRequest.objects.values_list("state", flat=True)) == {
        JourneyRequestState.DONE
    }
    assert Suppression.objects.filter(mailing_list=newsletter).count() == 3
    assert ConsentEvent.objects.count() == 3
    assert tasks.process_due_journey_requests() == 0  # nothing left


def test_a_claimed_row_is_leased_until_the_grace_ends(
    broker: list[dict[str, Any]], client: Client, settings
) -> None:
    settings.OPTOUT_JOURNEY_SWEEP_GRACE_SECONDS = 120
    integration = JourneyIntegrationFactory.create()
    post(client, integration.endpoint_key, 1)
    row = JourneyOptOutRequest.objects.get()

    assert claim_due_journey_requests() == [row.pk]
    assert claim_due_journey_requests() == []  # leased to the first claimer
    row.refresh_from_db()
    assert row.next_attempt_at is not None
    assert row.next_attempt_at - timezone.now() > timedelta(seconds=110)

    # The claimer died: once the lease ends, the sweep takes the row again.
    with time_machine.travel(row.next_attempt_at + timedelta(seconds=1)):
        assert claim_due_journey_requests() == [row.pk]


@pytest.mark.django_db(transaction=True)
def test_workers_claiming_at_once_skip_each_others_rows(
    broker: list[dict[str, Any]], client: Client
) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (set DATABASE_URL)")
    integration = JourneyIntegrationFactory.create()
    post(client, integration.endpoint_key, 1)
    post(client, integration.endpoint_key, 2)
    first, second = JourneyOptOutRequest.objects.order_by("pk").values_list("pk", flat=True)
    locked, release = threading.Event(), threading.Event()

    def other_worker() -> None:
        try:
            with transaction.atomic():
                JourneyOptOutRequest.objects.select_for_update().get(pk=first)
                locked.set()
                release.wait(timeout=10)
        finally:
            connection.close()

    thread = threading.Thread(target=other_worker)
    thread.start()
    try:
        assert locked.wait(timeout=10)
        assert claim_due_journey_requests() == [second]  # no wait for the locked row
    finally:
        release.set()
        thread.join(timeout=10)
