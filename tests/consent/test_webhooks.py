from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone
from standardwebhooks.webhooks import Webhook as Verifier

from consent.models import ConsentEvent, Source, WebhookAttempt, WebhookDelivery
from consent.origins import Origin
from consent.services import resubscribe, sweep_webhooks, unsubscribe
from consent.services.webhooks import resend_deliveries, send_delivery
from lists.models import WebhookEventType
from tests.consent.factories import ContactFactory
from tests.consent.receivers import Receiver, free_port
from tests.lists.factories import CategoryFactory, MailingListFactory, WebhookFactory

pytestmark = pytest.mark.django_db

ORIGIN = Origin(source=Source.ONE_CLICK)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    receiver = Receiver(port=free_port())
    receiver.start()
    yield receiver
    receiver.stop()


def opt_out(newsletter, captured, address: str = "ann@example.com") -> ConsentEvent:
    contact = ContactFactory.create(address=address)
    with captured(execute=True):
        outcome = unsubscribe(contact=contact, mailing_list=newsletter, origin=ORIGIN)
    return outcome.event


def test_an_opt_out_is_delivered_signed_per_standard_webhooks(
    receiver, django_capture_on_commit_callbacks
) -> None:
    newsletter = MailingListFactory.create(slug="news")
    endpoint = WebhookFactory.create(url=receiver.url, team=newsletter.team)

    event = opt_out(newsletter, django_capture_on_commit_callbacks)

    [message] = receiver.received
    payload = Verifier(endpoint.secret).verify(message.body, message.headers)
    assert payload["type"] == "consent.opt_out"
    assert payload["data"]["event_id"] == event.pk
    assert payload["data"]["list"] == {"uuid": str(newsletter.uuid), "slug": "news"}
    assert payload["data"]["contact"]["email"] == "ann@example.com"
    assert payload["data"]["source"] == "one_click"
    assert message.headers["webhook-id"].startswith("msg_")
    assert endpoint.secret.startswith("whsec_")
    delivery = WebhookDelivery.objects.get()
    assert delivery.delivered_at is not None
    assert delivery.message_id == message.headers["webhook-id"]
    attempt = WebhookAttempt.objects.get()
    assert (attempt.status_code, attempt.error) == (204, "")


def test_a_tampered_body_fails_verification(receiver, django_capture_on_commit_callbacks) -> None:
    newsletter = MailingListFactory.create()
    endpoint = WebhookFactory.create(url=receiver.url, team=newsletter.team)
    opt_out(newsletter, django_capture_on_commit_callbacks)
    message = receiver.received[0]

    with pytest.raises(Exception, match="No matching signature"):
        Verifier(endpoint.secret).verify(message.body.replace(b"ann", b"bob"), message.headers)


def test_a_repeat_opt_out_queues_no_webhook(receiver, django_capture_on_commit_callbacks) -> None:
    newsletter = MailingListFactory.create()
    WebhookFactory.create(url=receiver.url, team=newsletter.team)
    contact = ContactFactory.create()

    with django_capture_on_commit_callbacks(execute=True):
        unsubscribe(contact=contact, mailing_list=newsletter, origin=ORIGIN)
        unsubscribe(contact=contact, mailing_list=newsletter, origin=ORIGIN)

    assert ConsentEvent.objects.count() == 2
    assert WebhookDelivery.objects.count() == 1
    assert len(receiver.received) == 1


def test_endpoints_receive_only_their_lists_and_event_types(
    django_capture_on_commit_callbacks,
) -> None:
    newsletter, offers = MailingListFactory.create_batch(2)
    offers.team = newsletter.team
    offers.save()
    only_offers = WebhookFactory.create(team=newsletter.team)
    only_offers.lists.add(offers)
    opt_ins = WebhookFactory.create(team=newsletter.team, event_types=[WebhookEventType.OPT_IN])
    every_list = WebhookFactory.create(team=newsletter.team)
    WebhookFactory.create(team=newsletter.team, active=False)
    WebhookFactory.create()  # another team
    contact = ContactFactory.create()

    with django_capture_on_commit_callbacks():
        unsubscribe(contact=contact, mailing_list=newsletter, origin=ORIGIN)
        resubscribe(contact=contact, mailing_list=newsletter, origin=ORIGIN)

    sent = set(WebhookDelivery.objects.values_list("webhook_id", "event_type"))
    assert sent == {
        (every_list.pk, "consent.opt_out"),
        (opt_ins.pk, "consent.opt_in"),
    }
    assert only_offers.pk not in {webhook for webhook, _ in sent}


def test_the_outbox_row_rolls_back_with_its_event() -> None:
    newsletter = MailingListFactory.create()
    WebhookFactory.create(team=newsletter.team)

    with pytest.raises(ValueError, match="another list"):
        unsubscribe(
            contact=ContactFactory.create(),
            mailing_list=newsletter,
            category=CategoryFactory.create(),
            origin=ORIGIN,
        )

    assert not WebhookDelivery.objects.exists()


def test_a_500_is_retried_on_schedule_by_the_sweep(
    receiver, settings, django_capture_on_commit_callbacks
) -> None:
    settings.OPTOUT_WEBHOOK_RETRY_SCHEDULE = [60, 300]
    newsletter = MailingListFactory.create()
    endpoint = WebhookFactory.create(url=receiver.url, team=newsletter.team)
    receiver.status = 500

    opt_out(newsletter, django_capture_on_commit_callbacks)

    delivery = WebhookDelivery.objects.get()
    assert (delivery.attempts, delivery.last_status_code, delivery.delivered_at) == (1, 500, None)
    assert sweep_webhooks() == 0  # not due yet
    receiver.status = 200
    with time_machine.travel(timezone.now() + timedelta(seconds=61)):
        assert sweep_webhooks() == 1

    delivery.refresh_from_db()
    assert (delivery.attempts, delivery.last_status_code) == (2, 200)
    assert delivery.delivered_at is not None
    assert list(delivery.attempt_log.values_list("status_code", flat=True)) == [200, 500]
    # The same message id both times: receivers deduplicate on it.
    ids = {message.headers["webhook-id"] for message in receiver.received}
    assert ids == {delivery.message_id}
    Verifier(endpoint.secret).verify(receiver.received[0].body, receiver.received[0].headers)


def test_a_timeout_is_recorded_and_retried(
    receiver, settings, django_capture_on_commit_callbacks
) -> None:
    settings.OPTOUT_WEBHOOK_TIMEOUT = 0.3
    newsletter = MailingListFactory.create()
    WebhookFactory.create(url=receiver.url, team=newsletter.team)
    receiver.hang = True

    opt_out(newsletter, django_capture_on_commit_callbacks)

    delivery = WebhookDelivery.objects.get()
    assert (delivery.attempts, delivery.last_error, delivery.delivered_at) == (1, "timeout", None)
    assert WebhookAttempt.objects.get().error == "timeout"
    receiver.hang = False
    with time_machine.travel(timezone.now() + timedelta(minutes=2)):
        sweep_webhooks()
    delivery.refresh_from_db()
    assert delivery.delivered_at is not None


def test_nothing_is_lost_while_the_receiver_is_down_for_hours(
    settings, django_capture_on_commit_callbacks
) -> None:
    settings.OPTOUT_WEBHOOK_RETRY_SCHEDULE = [60, 300, 1800, 7200]
    port = free_port()  # nobody listens here yet: connection refused
    newsletter = MailingListFactory.create()
    endpoint = WebhookFactory.create(url=f"http://127.0.0.1:{port}/hooks", team=newsletter.team)
    for number in range(3):
        opt_out(newsletter, django_capture_on_commit_callbacks, f"p{number}@example.com")
    start = timezone.now()
    for minutes in (2, 8, 40):  # three sweeps while it is still down
        with time_machine.travel(start + timedelta(minutes=minutes)):
            sweep_webhooks()
    assert not WebhookDelivery.objects.filter(delivered_at__isnull=False).exists()
    assert set(WebhookDelivery.objects.values_list("attempts", flat=True)) == {4}

    receiver = Receiver(port=port)
    receiver.start()
    try:
        with time_machine.travel(start + timedelta(hours=3)):
            assert sweep_webhooks() == 3
            emails = {
                Verifier(endpoint.secret).verify(m.body, m.headers)["data"]["contact"]["email"]
                for m in receiver.received
            }
    finally:
        receiver.stop()

    assert WebhookDelivery.objects.filter(delivered_at__isnull=False).count() == 3
    assert emails == {"p0@example.com", "p1@example.com", "p2@example.com"}


def test_a_delivery_is_abandoned_after_the_last_retry_and_resend_revives_it(
    receiver, settings, django_capture_on_commit_callbacks
) -> None:
    settings.OPTOUT_WEBHOOK_RETRY_SCHEDULE = [60]
    newsletter = MailingListFactory.create()
    WebhookFactory.create(url=receiver.url, team=newsletter.team)
    receiver.status = 503
    opt_out(newsletter, django_capture_on_commit_callbacks)
    with time_machine.travel(timezone.now() + timedelta(minutes=2)):
        sweep_webhooks()
    delivery = WebhookDelivery.objects.get()
    assert delivery.gave_up_at is not None
    assert sweep_webhooks() == 0

    receiver.status = 200

    with django_capture_on_commit_callbacks(execute=True):
        resend_deliveries(delivery_ids=[delivery.pk])

    delivery.refresh_from_db()
    assert delivery.delivered_at is not None
    assert delivery.gave_up_at is None
    assert delivery.attempts == 3


def test_a_delivery_claimed_by_another_worker_is_not_sent_twice(
    receiver, django_capture_on_commit_callbacks
) -> None:
    newsletter = MailingListFactory.create()
    WebhookFactory.create(url=receiver.url, team=newsletter.team)
    with django_capture_on_commit_callbacks(execute=False):  # the task is lost
        unsubscribe(contact=ContactFactory.create(), mailing_list=newsletter, origin=ORIGIN)
    delivery = WebhookDelivery.objects.get()

    first = send_delivery(delivery_id=delivery.pk)
    second = send_delivery(delivery_id=delivery.pk)

    assert first is not None
    assert first.delivered
    assert second is None
    assert len(receiver.received) == 1


def test_the_sweep_command_sends_what_the_broker_lost(
    receiver, django_capture_on_commit_callbacks, capsys
) -> None:
    newsletter = MailingListFactory.create()
    WebhookFactory.create(url=receiver.url, team=newsletter.team)
    with django_capture_on_commit_callbacks(execute=False):
        unsubscribe(contact=ContactFactory.create(), mailing_list=newsletter, origin=ORIGIN)

    call_command("sweep_webhooks")

    assert "1 due" in capsys.readouterr().out
    assert WebhookDelivery.objects.get().delivered_at is not None
    assert json.loads(receiver.received[0].body)["type"] == "consent.opt_out"
