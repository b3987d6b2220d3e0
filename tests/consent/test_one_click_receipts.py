"""One-click with a broker: the request stores a durable receipt, a worker records it."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
import time_machine
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.test import Client
from kombu.exceptions import OperationalError

from consent import statements, tasks
from consent.models import (
    ConsentEvent,
    OneClickReceipt,
    Source,
    Suppression,
    WebhookDelivery,
)
from consent.services import one_click, wakeups
from consent.services.one_click import apply_one_click_receipts
from consent.tokens import make_token
from lists.models import ConsentLevel
from tests.consent.brokers import broker_for
from tests.consent.factories import ContactFactory
from tests.lists.factories import (
    MailerAccessFactory,
    MailerFactory,
    MailingListFactory,
    WebhookFactory,
)

pytestmark = pytest.mark.django_db

BODY = "List-Unsubscribe=One-Click"
FORM = "application/x-www-form-urlencoded"


@pytest.fixture
def broker(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[dict[str, Any]]]:
    """A deployment with a broker: tasks are sent, not run. Records what would be sent."""
    with broker_for(
        monkeypatch, tasks.apply_one_click_receipts, one_click.wake_one_click_worker
    ) as sent:
        yield sent


def post(client: Client, token: str, **extra: str) -> None:
    response = client.post(f"/o/{token}/", BODY, content_type=FORM, **extra)
    assert response.status_code == 200
    assert response.content.decode() == "You are unsubscribed."
    assert not response.cookies


def test_with_a_broker_the_request_stores_a_receipt_and_wakes_a_worker(
    client: Client, broker: list[dict[str, Any]], django_capture_on_commit_callbacks
) -> None:
    contact = ContactFactory.create(address="ann@example.com")
    newsletter = MailingListFactory.create()
    mailer = MailerFactory.create()
    MailerAccessFactory.create(mailer=mailer, mailing_list=newsletter)

    with (
        time_machine.travel("2026-03-02 10:00:00Z", tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        post(
            client,
            make_token(contact=contact, mailing_list=newsletter, mailer=mailer),
            REMOTE_ADDR="203.0.113.77",
            HTTP_USER_AGENT="Gmail one-click",
        )

    receipt = OneClickReceipt.objects.get()
    assert (receipt.contact_id, receipt.mailing_list_id, receipt.mailer_id) == (
        contact.pk,
        newsletter.pk,
        mailer.pk,
    )
    assert receipt.received_at.isoformat() == "2026-03-02T10:00:00+00:00"
    assert receipt.ip == "203.0.113.0"  # anonymized to its /24 before it is stored
    assert receipt.user_agent == "Gmail one-click"
    assert len(receipt.request_id) == 32
    # Nothing is recorded by the request itself; a worker is woken once for the interval.
    assert not Suppression.objects.exists()
    assert not ConsentEvent.objects.exists()
    assert broker == [{"countdown": settings.OPTOUT_ONE_CLICK_WAKE_SECONDS}]


def test_a_burst_of_receipts_wakes_one_worker_per_interval(
    client: Client,
    broker: list[dict[str, Any]],
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks,
) -> None:
    monkeypatch.setattr(wakeups.time, "monotonic", lambda: 1000.0)
    newsletter = MailingListFactory.create()

    with django_capture_on_commit_callbacks(execute=True):
        for contact in ContactFactory.create_batch(5):
            post(client, make_token(contact=contact, mailing_list=newsletter))

    assert OneClickReceipt.objects.count() == 5
    assert len(broker) == 1


def test_with_a_broker_a_forged_or_wrong_body_request_stores_nothing(
    client: Client, broker: list[dict[str, Any]]
) -> None:
    token = make_token(contact=ContactFactory.create(), mailing_list=MailingListFactory.create())
    forged = token[:-3] + ("aaa" if not token.endswith("aaa") else "bbb")

    post(client, forged)  # the same answer: the caller learns nothing
    wrong_body = client.post(f"/o/{token}/", "List-Unsubscribe=Yes", content_type=FORM)

    assert wrong_body.status_code == 400
    assert not OneClickReceipt.objects.exists()
    assert broker == []


def test_a_broker_outage_keeps_the_receipt_and_tries_again_with_the_next_one(
    client: Client,
    broker: list[dict[str, Any]],
    monkeypatch: pytest.MonkeyPatch,
    caplog,
    django_capture_on_commit_callbacks,
) -> None:
    def down(**kwargs: Any) -> None:
        raise OperationalError("connection refused")

    monkeypatch.setattr(tasks.apply_one_click_receipts, "apply_async", down)
    newsletter = MailingListFactory.create()

    with (
        caplog.at_level(logging.WARNING, logger="consent.services.wakeups"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        post(client, make_token(contact=ContactFactory.create(), mailing_list=newsletter))

    assert OneClickReceipt.objects.count() == 1
    assert one_click.wake_one_click_worker.next_at == 0.0  # the next receipt tries again
    assert "Broker unavailable" in caplog.text


def test_the_worker_records_each_receipt_as_of_its_request_and_deletes_it(
    client: Client, broker: list[dict[str, Any]]
) -> None:
    contact = ContactFactory.create()
    newsletter = MailingListFactory.create()
    mailer = MailerFactory.create()
    MailerAccessFactory.create(mailer=mailer, mailing_list=newsletter)
    with time_machine.travel("2026-03-02 10:00:00Z", tick=False):
        post(
            client,
            make_token(contact=contact, mailing_list=newsletter, mailer=mailer),
            REMOTE_ADDR="198.51.100.9",
            HTTP_USER_AGENT="Yahoo",
        )
    request_id = OneClickReceipt.objects.get().request_id

    with time_machine.travel("2026-03-02 10:00:03Z", tick=False):
        assert apply_one_click_receipts() == 1

    assert not OneClickReceipt.objects.exists()
    assert Suppression.objects.filter(contact=contact, mailing_list=newsletter).count() == 1
    event = ConsentEvent.objects.get()
    assert event.source == Source.ONE_CLICK
    assert event.changed is True
    assert event.mailer == mailer
    assert event.occurred_at.isoformat() == "2026-03-02T10:00:00+00:00"  # the request's time
    assert event.recorded_at.isoformat() == "2026-03-02T10:00:03+00:00"  # when applied
    assert (event.ip, event.user_agent, event.request_id) == ("198.51.100.0", "Yahoo", request_id)


def test_the_same_address_twice_leaves_one_suppression_and_two_events(
    client: Client, broker: list[dict[str, Any]]
) -> None:
    contact = ContactFactory.create()
    newsletter = MailingListFactory.create()
    token = make_token(contact=contact, mailing_list=newsletter)

    post(client, token)
    post(client, token)
    apply_one_click_receipts()

    assert Suppression.objects.count() == 1
    assert sorted(ConsentEvent.objects.values_list("changed", flat=True)) == [False, True]


def test_a_receipt_of_a_revoked_mailer_is_recorded_without_the_mailer(
    client: Client, broker: list[dict[str, Any]]
) -> None:
    contact = ContactFactory.create()
    newsletter = MailingListFactory.create()
    mailer = MailerFactory.create()
    access = MailerAccessFactory.create(mailer=mailer, mailing_list=newsletter)
    post(client, make_token(contact=contact, mailing_list=newsletter, mailer=mailer))
    access.delete()

    apply_one_click_receipts()

    assert ConsentEvent.objects.get().mailer is None
    assert Suppression.objects.filter(contact=contact).exists()


def test_channel_level_receipts_suppress_the_person(
    client: Client, broker: list[dict[str, Any]]
) -> None:
    newsletter = MailingListFactory.create(consent_level=ConsentLevel.CHANNEL)
    work = ContactFactory.create(profile_key="person-7")
    post(client, make_token(contact=work, mailing_list=newsletter))

    apply_one_click_receipts()

    suppression = Suppression.objects.get()
    assert (suppression.contact_id, suppression.profile_key) == (None, "person-7")


def test_a_team_with_a_webhook_gets_the_delivery_queued_with_the_event(
    client: Client, broker: list[dict[str, Any]]
) -> None:
    newsletter = MailingListFactory.create()
    endpoint = WebhookFactory.create(team=newsletter.team)
    post(client, make_token(contact=ContactFactory.create(), mailing_list=newsletter))

    apply_one_click_receipts()

    event = ConsentEvent.objects.get()
    assert WebhookDelivery.objects.filter(webhook=endpoint, event=event).count() == 1


def test_a_receipt_whose_contact_no_longer_exists_is_dropped_with_a_log_line(caplog) -> None:
    newsletter = MailingListFactory.create()
    OneClickReceipt.objects.create(contact_id=987_654_321, mailing_list=newsletter)

    with caplog.at_level(logging.WARNING, logger="consent.services.one_click"):
        assert apply_one_click_receipts() == 1

    assert not OneClickReceipt.objects.exists()
    assert not ConsentEvent.objects.exists()
    assert "no longer exists" in caplog.text


def test_a_receipt_that_keeps_failing_stays_and_holds_back_no_other(
    monkeypatch: pytest.MonkeyPatch, caplog
) -> None:
    newsletter = MailingListFactory.create()
    contacts = ContactFactory.create_batch(3)
    for contact in contacts:
        OneClickReceipt.objects.create(contact=contact, mailing_list=newsletter)
    broken = contacts[1]
    real = one_click.record_opt_out_by_ids

    def fail_for_one_contact(**kwargs: Any) -> bool | None:
        if kwargs["contact_id"] == broken.pk:
            raise RuntimeError("database went away")
        return real(**kwargs)

    monkeypatch.setattr(one_click, "record_opt_out_by_ids", fail_for_one_contact)

    with caplog.at_level(logging.ERROR, logger="consent.services.one_click"):
        assert apply_one_click_receipts() == 2

    assert list(OneClickReceipt.objects.values_list("contact_id", flat=True)) == [broken.pk]
    assert set(Suppression.objects.values_list("contact_id", flat=True)) == {
        contacts[0].pk,
        contacts[2].pk,
    }
    assert "could not be recorded" in caplog.text
    # Once the cause is gone, the next run records it.
    monkeypatch.setattr(one_click, "record_opt_out_by_ids", real)
    assert apply_one_click_receipts() == 1
    assert not OneClickReceipt.objects.exists()


def test_the_command_records_the_waiting_receipts() -> None:
    newsletter = MailingListFactory.create()
    OneClickReceipt.objects.create(contact=ContactFactory.create(), mailing_list=newsletter)
    out = StringIO()

    call_command("apply_one_click_receipts", stdout=out)

    assert out.getvalue().strip() == "1 one-click opt-out(s) recorded."
    assert Suppression.objects.filter(mailing_list=newsletter).count() == 1


def test_a_broken_broker_never_fails_the_request(
    client: Client,
    broker: list[dict[str, Any]],
    monkeypatch: pytest.MonkeyPatch,
    caplog,
    django_capture_on_commit_callbacks,
) -> None:
    def broken(**kwargs: Any) -> None:
        raise ValueError("unexpected answer from the broker")

    monkeypatch.setattr(tasks.apply_one_click_receipts, "apply_async", broken)
    newsletter = MailingListFactory.create()

    with django_capture_on_commit_callbacks(execute=True):
        post(client, make_token(contact=ContactFactory.create(), mailing_list=newsletter))

    assert OneClickReceipt.objects.count() == 1
    assert "Could not wake a worker" in caplog.text


def test_receipts_are_applied_batch_after_batch(client: Client) -> None:
    newsletter = MailingListFactory.create()
    contacts = ContactFactory.create_batch(5)
    for contact in contacts:
        OneClickReceipt.objects.create(contact=contact, mailing_list=newsletter)

    assert apply_one_click_receipts(limit=2) == 5

    assert Suppression.objects.filter(mailing_list=newsletter).count() == 5
    assert not OneClickReceipt.objects.exists()


def test_beat_sweeps_the_receipts_a_lost_wake_up_left_behind() -> None:
    schedule = settings.CELERY_BEAT_SCHEDULE["apply-one-click-receipts"]
    assert schedule["task"] == tasks.apply_one_click_receipts.name
    newsletter = MailingListFactory.create()
    OneClickReceipt.objects.create(contact=ContactFactory.create(), mailing_list=newsletter)

    assert tasks.apply_one_click_receipts() == 1

    assert Suppression.objects.filter(mailing_list=newsletter).count() == 1


def test_embedded_mode_records_the_opt_out_in_the_request(client: Client) -> None:
    contact = ContactFactory.create()
    newsletter = MailingListFactory.create()

    post(client, make_token(contact=contact, mailing_list=newsletter))

    assert not OneClickReceipt.objects.exists()
    assert Suppression.objects.filter(contact=contact, mailing_list=newsletter).exists()


def test_admin_lists_the_waiting_receipts_and_changes_none(admin_client: Client) -> None:
    newsletter = MailingListFactory.create(name="Weekly")
    receipt = OneClickReceipt.objects.create(
        contact=ContactFactory.create(), mailing_list=newsletter, request_id="req-42"
    )

    listing = admin_client.get("/admin/consent/oneclickreceipt/")
    add = admin_client.get("/admin/consent/oneclickreceipt/add/")
    delete = admin_client.post(
        f"/admin/consent/oneclickreceipt/{receipt.pk}/delete/", {"post": "yes"}
    )

    assert listing.status_code == 200
    assert "req-42" in listing.content.decode()
    assert "Weekly" in listing.content.decode()
    assert add.status_code == 403
    assert delete.status_code == 403
    assert OneClickReceipt.objects.filter(pk=receipt.pk).exists()


def test_a_prepared_statement_lost_by_a_pooler_fails_the_batch_once_then_runs_plain(
    on_postgresql: None,
) -> None:
    newsletter = MailingListFactory.create()
    first, second = ContactFactory.create(), ContactFactory.create()
    OneClickReceipt.objects.create(contact=first, mailing_list=newsletter)
    assert apply_one_click_receipts() == 1  # prepares the one-click statement
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM pg_prepared_statements")
        for (name,) in cursor.fetchall():  # by name: psycopg would notice DEALLOCATE ALL
            cursor.execute(f"DEALLOCATE {name}")
    OneClickReceipt.objects.create(contact=second, mailing_list=newsletter)

    # The batch's transaction fails on the missing statement; one at a time, plain SQL.
    assert apply_one_click_receipts() == 1

    assert connection.connection in statements._PLAIN_ON
    assert not OneClickReceipt.objects.exists()
    assert Suppression.objects.filter(mailing_list=newsletter).count() == 2


def test_two_workers_never_record_a_receipt_twice(on_postgresql: None) -> None:
    newsletter = MailingListFactory.create()
    contacts = ContactFactory.create_batch(30)
    # Providers post twice: the same people twice over, in different orders.
    for contact in [*contacts, *reversed(contacts)]:
        OneClickReceipt.objects.create(contact=contact, mailing_list=newsletter)
    errors: list[BaseException] = []
    barrier = threading.Barrier(3)

    def work() -> None:
        try:
            barrier.wait(timeout=10)
            apply_one_click_receipts(limit=7)
        except BaseException as exc:  # noqa: BLE001  # asserted on below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=work) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert errors == []
    assert not OneClickReceipt.objects.exists()
    assert ConsentEvent.objects.filter(mailing_list=newsletter).count() == 60
    assert Suppression.objects.filter(mailing_list=newsletter).count() == 30


def test_receipts_are_kept_until_applied_however_late(client: Client) -> None:
    newsletter = MailingListFactory.create()
    with time_machine.travel("2026-03-02 10:00:00Z", tick=False):
        OneClickReceipt.objects.create(contact=ContactFactory.create(), mailing_list=newsletter)

    with time_machine.travel(timedelta(days=3)):
        assert apply_one_click_receipts() == 1

    assert ConsentEvent.objects.get().occurred_at.isoformat() == "2026-03-02T10:00:00+00:00"
