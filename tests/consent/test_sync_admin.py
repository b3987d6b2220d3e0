from __future__ import annotations

from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile

from consent.models import (
    EspConnection,
    ImportJob,
    ImportStatus,
    Source,
    Suppression,
    WebhookDelivery,
)
from consent.origins import Origin
from consent.services import unsubscribe
from lists.models import Webhook
from tests.consent.factories import ContactFactory
from tests.lists.factories import GroupFactory, MailingListFactory, WebhookFactory

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).parent / "fixtures" / "imports"


@pytest.fixture
def admin_client(client):
    # No password: hashing one costs seconds, and force_login needs none.
    user = User.objects.create(username="root", is_staff=True, is_superuser=True)
    client.force_login(user)
    return client


def test_an_upload_in_admin_runs_the_import_and_shows_its_result(
    admin_client, django_capture_on_commit_callbacks
) -> None:
    newsletter = MailingListFactory.create()
    upload = SimpleUploadedFile(
        "sendgrid.csv", (FIXTURES / "sendgrid_unsubscribes.csv").read_bytes()
    )

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            "/admin/consent/importjob/add/", {"mailing_list": newsletter.pk, "file": upload}
        )

    assert response.status_code == 302
    job = ImportJob.objects.get()
    assert (job.status, job.file_name, job.suppressed) == (ImportStatus.DONE, "sendgrid.csv", 2)
    assert Suppression.objects.filter(mailing_list=newsletter).count() == 2
    page = admin_client.get(f"/admin/consent/importjob/{job.pk}/change/").content.decode()
    assert "sendgrid_unsubscribes" in page
    assert 'value="100"' in page
    assert "no address" in page  # line 5's reject


def test_a_new_webhook_endpoint_shows_its_secret_once(admin_client) -> None:
    team = GroupFactory.create()

    response = admin_client.post(
        "/admin/lists/webhook/add/",
        {
            "name": "CRM",
            "url": "https://crm.example.com/hooks",
            "team": team.pk,
            "event_types": ["consent.opt_out", "consent.opt_in"],
            "active": "on",
        },
        follow=True,
    )

    webhook = Webhook.objects.get()
    assert webhook.secret.startswith("whsec_")
    assert webhook.event_types == ["consent.opt_out", "consent.opt_in"]
    assert webhook.secret in response.content.decode()
    change = admin_client.get(f"/admin/lists/webhook/{webhook.pk}/change/").content.decode()
    assert webhook.secret not in change


def test_deliveries_show_attempts_and_can_be_resent(
    admin_client, django_capture_on_commit_callbacks
) -> None:
    newsletter = MailingListFactory.create()
    WebhookFactory.create(team=newsletter.team, url="http://127.0.0.1:9/hooks")  # discard port
    with django_capture_on_commit_callbacks(execute=True):
        unsubscribe(
            contact=ContactFactory.create(),
            mailing_list=newsletter,
            origin=Origin(source=Source.API),
        )
    delivery = WebhookDelivery.objects.get()
    assert delivery.attempts == 1

    page = admin_client.get(f"/admin/consent/webhookdelivery/{delivery.pk}/change/")
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(
            "/admin/consent/webhookdelivery/",
            {"action": "resend", "_selected_action": [delivery.pk]},
        )

    assert "Connection refused" in page.content.decode()
    delivery.refresh_from_db()
    assert delivery.attempts == 2
    assert delivery.attempt_log.count() == 2


def test_an_esp_connection_shows_the_url_to_give_the_esp(admin_client) -> None:
    connection = EspConnection.objects.create(
        name="Old Mailgun",
        provider="mailgun",
        mailing_list=MailingListFactory.create(),
        signing_key="key",
    )

    page = admin_client.get(f"/admin/consent/espconnection/{connection.pk}/change/")

    assert f"/esp/{connection.uuid}/" in page.content.decode()
