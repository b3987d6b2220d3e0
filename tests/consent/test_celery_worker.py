"""The outbox and imports through a real broker and worker (CI: Redis), not eager mode.

The worker runs in this process (celery's testing worker) on a queue of its own, so it uses
the test database and never takes tasks meant for another worker on the same broker.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from celery.contrib.testing.worker import start_worker
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client
from standardwebhooks.webhooks import Webhook as Verifier

from config.celery import app
from consent.models import (
    ConsentEvent,
    ImportJob,
    ImportStatus,
    OneClickReceipt,
    Source,
    Suppression,
    WebhookDelivery,
)
from consent.origins import Origin
from consent.services import one_click, unsubscribe
from consent.services.imports import create_import_job
from consent.tokens import make_token
from tests.consent.factories import ContactFactory
from tests.consent.receivers import Receiver, free_port
from tests.lists.factories import MailingListFactory, WebhookFactory

BROKER = os.environ.get("CELERY_BROKER_URL", "")
FIXTURES = Path(__file__).parent / "fixtures" / "imports"

pytestmark = [
    pytest.mark.celery_worker,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not BROKER, reason="needs a broker: set CELERY_BROKER_URL (CI: Redis)"),
]


@pytest.fixture
def worker() -> Iterator[None]:
    queue = f"optout-test-{uuid.uuid4().hex[:8]}"
    saved = {
        "broker_url": app.conf.broker_url,
        "task_default_queue": app.conf.task_default_queue,
    }
    app.conf.update(broker_url=BROKER, task_default_queue=queue)
    try:
        with start_worker(app, pool="solo", perform_ping_check=False, queues=[queue]):
            yield
    finally:
        app.conf.update(saved)


def wait_for(condition: Callable[[], bool], seconds: float = 30) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


def test_a_worker_delivers_the_signed_webhook_of_a_committed_opt_out(worker) -> None:
    receiver = Receiver(port=free_port())
    receiver.start()
    try:
        newsletter = MailingListFactory.create()
        endpoint = WebhookFactory.create(url=receiver.url, team=newsletter.team)

        unsubscribe(
            contact=ContactFactory.create(address="ann@example.com"),
            mailing_list=newsletter,
            origin=Origin(source=Source.ONE_CLICK),
        )

        assert wait_for(lambda: WebhookDelivery.objects.filter(delivered_at__isnull=False).exists())
        payload = Verifier(endpoint.secret).verify(
            receiver.received[0].body, receiver.received[0].headers
        )
        assert payload["data"]["contact"]["email"] == "ann@example.com"
    finally:
        receiver.stop()


def test_a_worker_runs_an_uploaded_import(worker) -> None:
    newsletter = MailingListFactory.create()
    upload = SimpleUploadedFile("mailgun.csv", (FIXTURES / "mailgun_unsubscribes.csv").read_bytes())

    with transaction.atomic():
        job = create_import_job(job=ImportJob(file=upload, mailing_list=newsletter))

    assert wait_for(lambda: ImportJob.objects.get(pk=job.pk).status == ImportStatus.DONE)
    assert Suppression.objects.filter(mailing_list=newsletter).count() == 2


def test_a_worker_records_the_receipt_of_a_one_click_post(
    worker, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(one_click.wake_one_click_worker, "next_at", 0.0)
    contact = ContactFactory.create()
    newsletter = MailingListFactory.create()

    response = Client().post(
        f"/o/{make_token(contact=contact, mailing_list=newsletter)}/",
        "List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )

    assert response.status_code == 200
    assert wait_for(
        lambda: Suppression.objects.filter(contact=contact, mailing_list=newsletter).exists()
    )
    assert wait_for(lambda: not OneClickReceipt.objects.exists())
    assert ConsentEvent.objects.get(contact=contact).source == Source.ONE_CLICK
