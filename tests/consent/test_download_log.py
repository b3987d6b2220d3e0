from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from consent import statements
from consent.models import DownloadKind, DownloadLog, Source
from consent.origins import Origin
from consent.selectors.compliance import download_watermark, receipts_for_events
from consent.services import record_download, unsubscribe
from tests.consent.factories import ContactFactory
from tests.lists.factories import MailerAccessFactory, MailerFactory, MailingListFactory

pytestmark = pytest.mark.django_db

MONDAY = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
ORIGIN = Origin(source=Source.ONE_CLICK)


def opt_out(contact, mailing_list, at, origin=ORIGIN):
    with time_machine.travel(at, tick=False):
        return unsubscribe(contact=contact, mailing_list=mailing_list, origin=origin).event


def download(mailer, mailing_list, at, *, since=None, kind=DownloadKind.DOWNLOAD, rows=1):
    with time_machine.travel(at, tick=False):
        watermark = download_watermark(mailing_list=mailing_list)
        return record_download(
            mailer=mailer,
            mailing_list=mailing_list,
            kind=kind,
            output_format="sha256",
            since=since,
            rows=rows,
            requested_at=at,
            watermark=watermark,
            request_id="req-1",
        )


def test_record_download_stores_who_what_when_and_the_newest_event_covered() -> None:
    access = MailerAccessFactory.create()
    event = opt_out(ContactFactory.create(), access.mailing_list, MONDAY)
    since = MONDAY - timedelta(days=7)

    log = download(access.mailer, access.mailing_list, MONDAY + timedelta(hours=1), since=since)

    row = DownloadLog.objects.get()
    assert row == log
    assert (row.mailer, row.mailing_list, row.kind, row.format) == (
        access.mailer,
        access.mailing_list,
        "download",
        "sha256",
    )
    assert (row.since, row.rows, row.request_id) == (since, 1, "req-1")
    assert row.requested_at == MONDAY + timedelta(hours=1)
    assert row.covered_event == event
    assert row.covered_until == event.recorded_at == MONDAY


def test_watermark_of_a_list_without_opt_outs_covers_nothing() -> None:
    access = MailerAccessFactory.create()

    log = download(access.mailer, access.mailing_list, MONDAY)

    assert (log.covered_event, log.covered_until) == (None, None)


def test_each_mailer_first_receives_an_opt_out_with_its_first_covering_download() -> None:
    newsletter = MailingListFactory.create()
    early, late, never = (MailerAccessFactory.create(mailing_list=newsletter) for _ in range(3))
    MailerAccessFactory.create(
        mailing_list=newsletter, can_download=False
    )  # cannot fetch: not listed
    download(early.mailer, newsletter, MONDAY - timedelta(hours=1))  # before: covers nothing
    event = opt_out(ContactFactory.create(), newsletter, MONDAY)
    download(early.mailer, newsletter, MONDAY + timedelta(hours=2))
    download(early.mailer, newsletter, MONDAY + timedelta(hours=5))
    download(late.mailer, newsletter, MONDAY + timedelta(hours=30), kind=DownloadKind.SCRUB)

    receipts = {r.mailer: r for r in receipts_for_events(events=[event])[event.pk]}

    assert set(receipts) == {early.mailer, late.mailer, never.mailer}
    assert receipts[early.mailer].received_at == MONDAY + timedelta(hours=2)
    assert receipts[early.mailer].via == "download"
    assert receipts[late.mailer].received_at == MONDAY + timedelta(hours=30)
    assert receipts[late.mailer].via == "scrub"
    assert receipts[never.mailer].received_at is None


def test_a_changes_since_download_that_starts_after_the_opt_out_does_not_deliver_it() -> None:
    access = MailerAccessFactory.create()
    event = opt_out(ContactFactory.create(), access.mailing_list, MONDAY)
    later = MONDAY + timedelta(hours=3)
    download(access.mailer, access.mailing_list, MONDAY + timedelta(hours=4), since=later)
    download(access.mailer, access.mailing_list, MONDAY + timedelta(hours=6), since=MONDAY)

    (receipt,) = receipts_for_events(events=[event])[event.pk]

    assert receipt.received_at == MONDAY + timedelta(hours=6)


def test_a_download_from_another_list_or_mailer_delivers_nothing() -> None:
    access = MailerAccessFactory.create()
    other = MailerAccessFactory.create(mailer=access.mailer)
    stranger = MailerFactory.create()
    event = opt_out(ContactFactory.create(), access.mailing_list, MONDAY)
    opt_out(ContactFactory.create(), other.mailing_list, MONDAY)
    download(access.mailer, other.mailing_list, MONDAY + timedelta(hours=1))
    download(stranger, access.mailing_list, MONDAY + timedelta(hours=1))

    (receipt,) = receipts_for_events(events=[event])[event.pk]

    assert receipt.received_at is None


def test_the_mailer_that_reported_an_opt_out_knew_it_from_the_start() -> None:
    access = MailerAccessFactory.create()
    origin = Origin(source=Source.S2S, mailer=access.mailer)
    event = opt_out(ContactFactory.create(), access.mailing_list, MONDAY, origin=origin)

    (receipt,) = receipts_for_events(events=[event])[event.pk]

    assert (receipt.received_at, receipt.via) == (MONDAY, "reported")


def test_receipts_take_one_query_whatever_the_number_of_events_and_mailers(
    django_assert_num_queries,
) -> None:
    newsletter = MailingListFactory.create()
    for _ in range(3):
        MailerAccessFactory.create(mailing_list=newsletter)
    events = [
        opt_out(ContactFactory.create(), newsletter, MONDAY + timedelta(minutes=i))
        for i in range(5)
    ]

    with django_assert_num_queries(1):
        receipts = receipts_for_events(events=events)

    assert len(receipts) == 5
    assert all(len(per_event) == 3 for per_event in receipts.values())


def test_receipts_read_in_slices_match_receipts_read_at_once(
    monkeypatch: pytest.MonkeyPatch, django_assert_num_queries
) -> None:
    newsletter = MailingListFactory.create()
    early, late = (MailerFactory.create(name=name) for name in ("early", "late"))
    for mailer in (early, late):
        MailerAccessFactory.create(mailing_list=newsletter, mailer=mailer)
    events = [
        opt_out(ContactFactory.create(), newsletter, MONDAY + timedelta(minutes=i))
        for i in range(5)
    ]
    download(early, newsletter, at=MONDAY + timedelta(minutes=2, seconds=30))
    at_once = receipts_for_events(events=events)

    monkeypatch.setattr(statements, "RECEIPT_EVENTS_PER_QUERY", 2)
    with django_assert_num_queries(3):
        sliced = receipts_for_events(events=events)

    assert sliced == at_once
    received = {
        event.pk: [(r.mailer.name, r.received_at is not None) for r in at_once[event.pk]]
        for event in events
    }
    assert [received[event.pk] for event in events] == [
        [("early", True), ("late", False)],
        [("early", True), ("late", False)],
        [("early", True), ("late", False)],
        [("early", False), ("late", False)],
        [("early", False), ("late", False)],
    ]
