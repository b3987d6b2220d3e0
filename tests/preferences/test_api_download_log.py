"""Suppression downloads and scrubs through the API land in the download log."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.http import StreamingHttpResponse
from django.test import Client

from consent.addresses import hash_address
from consent.models import Contact, DownloadLog, Source, Suppression
from consent.origins import Origin
from consent.selectors.compliance import receipts_for_events
from consent.services import unsubscribe
from tests.consent.factories import ContactFactory
from tests.preferences.conftest import Partner

pytestmark = pytest.mark.django_db

MONDAY = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def opt_out(partner: Partner, address: str, at: datetime):
    with time_machine.travel(at, tick=False):
        return unsubscribe(
            contact=ContactFactory.create(address=address),
            mailing_list=partner.mailing_list,
            origin=Origin(source=Source.ONE_CLICK),
        ).event


def test_a_download_streamed_to_its_end_writes_one_log_row_with_rows_and_watermark(
    api: Client, partner: Partner
) -> None:
    opt_out(partner, "a@example.com", MONDAY)
    newest = opt_out(partner, "b@example.com", MONDAY + timedelta(minutes=5))
    since = MONDAY - timedelta(days=1)
    at = MONDAY + timedelta(hours=1)

    with time_machine.travel(at, tick=False):
        response = api.get(
            f"/api/v1/lists/{partner.mailing_list.uuid}/suppressions/sha256/",
            {"since": since.isoformat()},
            HTTP_X_REQUEST_ID="req-download-1",
        )
        assert not DownloadLog.objects.exists()  # nothing streamed yet
        lines = response.getvalue().decode().splitlines()

    assert len(lines) == 2
    log = DownloadLog.objects.get()
    assert (log.mailer, log.mailing_list, log.kind, log.format) == (
        partner.mailer,
        partner.mailing_list,
        "download",
        "sha256",
    )
    assert (log.since, log.rows, log.requested_at) == (since, 2, at)
    assert (log.covered_event, log.covered_until) == (newest, newest.recorded_at)
    assert log.request_id == response["X-Request-ID"] == "req-download-1"


def test_a_gzipped_download_is_logged_once_the_compressed_stream_ends(
    api: Client, partner: Partner
) -> None:
    opt_out(partner, "a@example.com", MONDAY)

    response = api.get(
        f"/api/v1/lists/{partner.mailing_list.uuid}/suppressions/plain/", {"gzip": "1"}
    )
    body = gzip.decompress(response.getvalue()).decode()

    assert body == "a@example.com\n"
    log = DownloadLog.objects.get()
    assert (log.format, log.since, log.rows) == ("plain", None, 1)


# Outside a test transaction, as in production: abandoning a PostgreSQL server-side cursor
# mid-stream ends the connection, which only a test's wrapping transaction cannot survive.
@pytest.mark.django_db(transaction=True)
def test_a_client_that_disconnects_before_the_last_row_records_nothing(
    api: Client, partner: Partner, settings
) -> None:
    settings.OPTOUT_DOWNLOAD_CHUNK_ROWS = 1
    settings.OPTOUT_DOWNLOAD_BLOCK_BYTES = 1  # one line per block on PostgreSQL too
    opt_out(partner, "a@example.com", MONDAY)
    opt_out(partner, "b@example.com", MONDAY)

    response = api.get(f"/api/v1/lists/{partner.mailing_list.uuid}/suppressions/md5/")
    assert isinstance(response, StreamingHttpResponse)
    first = next(iter(response.streaming_content))
    response.close()  # what a server does when the client goes away

    assert len(first.decode().strip()) == 32
    assert not DownloadLog.objects.exists()


def test_a_refused_download_records_nothing(api: Client, partner: Partner) -> None:
    opt_out(partner, "a@example.com", MONDAY)

    response = api.get(
        f"/api/v1/lists/{partner.mailing_list.uuid}/suppressions/plain/",
        REMOTE_ADDR="198.51.100.7",
    )

    assert response.status_code == 403
    assert not DownloadLog.objects.exists()


def test_a_scrub_writes_one_log_row_with_the_rows_answered(api: Client, partner: Partner) -> None:
    event = opt_out(partner, "a@example.com", MONDAY)
    at = MONDAY + timedelta(hours=2)

    with time_machine.travel(at, tick=False):
        response = api.post(
            f"/api/v1/lists/{partner.mailing_list.uuid}/scrub/",
            json.dumps({"values": ["a@example.com", "b@example.com", "garbage"]}),
            content_type="application/json",
        )

    assert response.status_code == 200
    assert response.json()["suppressed"] == ["a@example.com"]
    log = DownloadLog.objects.get()
    assert (log.kind, log.format, log.since, log.rows) == ("scrub", "", None, 1)
    assert (log.requested_at, log.covered_event) == (at, event)
    assert log.request_id == response["X-Request-ID"]


def test_first_received_sees_the_first_api_download_or_scrub_that_covered_an_opt_out(
    api: Client, partner: Partner
) -> None:
    early = opt_out(partner, "a@example.com", MONDAY)
    scrubbed_at = MONDAY + timedelta(hours=1)
    with time_machine.travel(scrubbed_at, tick=False):
        api.post(
            f"/api/v1/lists/{partner.mailing_list.uuid}/scrub/",
            json.dumps({"values": ["nobody@example.com"]}),
            content_type="application/json",
        )
    late = opt_out(partner, "b@example.com", MONDAY + timedelta(hours=2))
    downloaded_at = MONDAY + timedelta(hours=3)
    with time_machine.travel(downloaded_at, tick=False):
        api.get(f"/api/v1/lists/{partner.mailing_list.uuid}/suppressions/plain/").getvalue()

    receipts = receipts_for_events(events=[early, late])

    [first] = receipts[early.pk]
    [second] = receipts[late.pk]
    assert (first.mailer, first.received_at, first.via) == (partner.mailer, scrubbed_at, "scrub")
    assert (second.received_at, second.via) == (downloaded_at, "download")


def test_a_sha256_download_leaves_out_md5_only_contacts_and_logs_the_rows_sent(
    api: Client, partner: Partner
) -> None:
    opt_out(partner, "a@example.com", MONDAY)
    imported = Contact.objects.create(
        address=None, md5=hash_address("imported@example.com").md5, sha256=None
    )
    Suppression.objects.create(contact=imported, mailing_list=partner.mailing_list)

    response = api.get(f"/api/v1/lists/{partner.mailing_list.uuid}/suppressions/sha256/")

    assert response.getvalue().decode() == hash_address("a@example.com").sha256 + "\n"
    assert DownloadLog.objects.get().rows == 1
