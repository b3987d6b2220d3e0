from __future__ import annotations

import hashlib
import io
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command

from consent.addresses import address_hashes, hash_address
from consent.models import ConsentEvent, Contact, ImportJob, ImportStatus, Source, Suppression
from consent.origins import Origin
from consent.services import contact_for_address, import_suppressions, unsubscribe
from consent.services.imports import ImportFileUnreadable, create_import_job, loading, parse_time
from consent.services.imports.parsing import is_epoch
from tests.consent.factories import ContactFactory
from tests.lists.factories import MailingListFactory

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).parent / "fixtures" / "imports"


def run(name: str, mailing_list=None):
    mailing_list = mailing_list or MailingListFactory.create()
    with (FIXTURES / name).open("rb") as stream:
        return import_suppressions(mailing_list=mailing_list, stream=stream, file_name=name)


def suppressed(mailing_list) -> set[str]:
    return set(
        Suppression.objects.filter(mailing_list=mailing_list).values_list(
            "contact__address", flat=True
        )
    )


def event_time(address: str) -> datetime:
    return ConsentEvent.objects.get(contact__address=address).occurred_at


@pytest.mark.parametrize(
    ("name", "file_format", "addresses", "first_time"),
    [
        (
            "mailchimp_unsubscribed.csv",
            "mailchimp",
            {"ann.lee@example.com", "bob@example.org"},
            ("ann.lee@example.com", datetime(2021, 6, 1, 8, 30, tzinfo=UTC)),
        ),
        (
            "sendgrid_unsubscribes.csv",
            "sendgrid_unsubscribes",
            {"carol@example.com", "dave@example.net"},
            ("carol@example.com", datetime(2021, 6, 1, 8, 30, tzinfo=UTC)),
        ),
        (
            "sendgrid_bounces.csv",
            "sendgrid_bounces",
            {"erin@example.com"},
            ("erin@example.com", datetime(2021, 6, 1, 8, 30, tzinfo=UTC)),
        ),
        (
            "sendgrid_spam_reports.csv",
            "sendgrid_spam_reports",
            {"grace@example.com"},
            ("grace@example.com", datetime(2021, 6, 1, 8, 30, tzinfo=UTC)),
        ),
        (
            "mailgun_unsubscribes.csv",
            "mailgun",
            {"heidi@example.com", "ivan@example.com"},
            ("ivan@example.com", datetime(2022, 11, 15, 17, 45, 10, tzinfo=UTC)),
        ),
        (
            "brevo_blocklisted.csv",
            "brevo",
            {"judy@example.com", "mallory@example.com", "niaj@example.com"},
            ("mallory@example.com", datetime(2022, 11, 15, 17, 45, tzinfo=UTC)),
        ),
        (
            "amazon_ses_suppressions.csv",
            "amazon_ses",
            {"oscar@example.com", "peggy@example.com"},
            ("peggy@example.com", datetime(2022, 11, 15, 17, 45, 10, tzinfo=UTC)),
        ),
        (
            "listmonk_subscribers.csv",
            "listmonk",
            {"rupert@example.com", "trent@example.com"},
            ("rupert@example.com", datetime(2021, 6, 1, 8, 30, tzinfo=UTC)),
        ),
        (
            "klaviyo_suppressions.csv",
            "klaviyo",
            {"victor@example.com", "walter@example.com"},
            ("walter@example.com", datetime(2022, 11, 15, 17, 45, 10, tzinfo=UTC)),
        ),
        (
            "plain.txt",
            "plain",
            {"alice@example.com", "bob@example.org", "carol@example.com"},
            None,
        ),
    ],
)
def test_each_export_format_is_detected_and_its_opt_outs_are_imported_with_their_time(
    name, file_format, addresses, first_time
) -> None:
    newsletter = MailingListFactory.create()

    result = run(name, newsletter)

    assert result.file_format == file_format
    assert suppressed(newsletter) == addresses
    assert result.suppressed == len(addresses)
    events = ConsentEvent.objects.filter(mailing_list=newsletter)
    assert {event.source for event in events} == {Source.IMPORT}
    assert {event.detail["file"] for event in events} == {name}
    assert all(event.changed for event in events)
    if first_time is not None:
        address, when = first_time
        assert event_time(address) == when


def test_mailchimp_rejects_are_reported_with_line_and_reason_and_duplicates_counted() -> None:
    result = run("mailchimp_unsubscribed.csv")

    assert (result.rows, result.suppressed, result.duplicates, result.invalid) == (4, 2, 1, 1)
    assert [(r.line, r.reason) for r in result.errors] == [(4, "not a valid email address")]


def test_an_address_seen_twice_keeps_its_earliest_unsubscribe_time() -> None:
    run("mailchimp_unsubscribed.csv")  # Ann: 2021-06-01, again 2023-01-01 (other casing)

    assert event_time("ann.lee@example.com") == datetime(2021, 6, 1, 8, 30, tzinfo=UTC)


def test_sendgrid_rows_without_an_address_or_with_a_broken_one_are_rejected() -> None:
    unsubscribes = run("sendgrid_unsubscribes.csv")
    bounces = run("sendgrid_bounces.csv")

    assert [(r.line, r.reason) for r in unsubscribes.errors] == [(5, "no address")]
    assert [(r.line, r.reason) for r in bounces.errors] == [(3, "not a valid email address")]


def test_brevo_day_first_dates_are_read_and_an_unreadable_date_keeps_the_row() -> None:
    before = datetime.now(tz=UTC)
    result = run("brevo_blocklisted.csv")

    assert event_time("judy@example.com") == datetime(2021, 6, 1, 8, 30, tzinfo=UTC)
    assert event_time("niaj@example.com") >= before  # import time stands in
    assert result.invalid == 0
    assert [(r.line, r.kept) for r in result.errors] == [(4, True)]
    assert "unreadable date" in result.errors[0].reason


def test_listmonk_rows_that_are_not_blocklisted_are_skipped() -> None:
    result = run("listmonk_subscribers.csv")

    assert (result.rows, result.skipped, result.suppressed) == (3, 1, 2)
    assert not Contact.objects.filter(address="sybil@example.com").exists()


def test_plain_list_ignores_blank_lines_and_reports_text_that_is_no_address() -> None:
    result = run("plain.txt")

    assert (result.rows, result.suppressed, result.duplicates, result.invalid) == (5, 3, 1, 1)
    assert [(r.line, r.reason) for r in result.errors] == [(5, "not a valid email address")]


def test_md5_list_creates_hash_only_contacts_that_learn_their_address_later() -> None:
    newsletter = MailingListFactory.create()

    result = run("md5_list.txt", newsletter)

    assert (result.file_format, result.suppressed, result.duplicates, result.invalid) == (
        "md5_list",
        2,
        1,
        1,
    )
    assert result.errors[0].line == 4
    hashed = Contact.objects.get(
        md5=hashlib.md5(b"yvonne@example.com", usedforsecurity=False).hexdigest()
    )
    assert (hashed.address, hashed.sha256) == (None, None)
    assert Suppression.objects.filter(mailing_list=newsletter, contact=hashed).exists()

    contact = contact_for_address(address="Yvonne@example.com")

    assert contact.pk == hashed.pk
    assert contact.address == "yvonne@example.com"
    assert contact.sha256 == hashlib.sha256(b"yvonne@example.com").hexdigest()


def test_md5_list_suppresses_a_contact_already_known_by_address() -> None:
    newsletter = MailingListFactory.create()
    xavier = ContactFactory.create(address="xavier@example.com")

    run("md5_list.txt", newsletter)

    assert Suppression.objects.filter(mailing_list=newsletter, contact=xavier).exists()
    assert Contact.objects.filter(md5=xavier.md5).count() == 1


def test_a_second_import_of_the_same_file_creates_nothing_new() -> None:
    newsletter = MailingListFactory.create()
    first = run("mailchimp_unsubscribed.csv", newsletter)
    events = ConsentEvent.objects.count()

    second = run("mailchimp_unsubscribed.csv", newsletter)

    assert (first.suppressed, second.suppressed, second.already_suppressed) == (2, 0, 2)
    assert Suppression.objects.filter(mailing_list=newsletter).count() == 2
    assert ConsentEvent.objects.count() == events


def test_an_address_unsubscribed_before_counts_as_already_suppressed() -> None:
    newsletter = MailingListFactory.create()
    bob = ContactFactory.create(address="bob@example.org")
    unsubscribe(contact=bob, mailing_list=newsletter, origin=Origin(source=Source.HOSTED_PAGE))

    result = run("mailchimp_unsubscribed.csv", newsletter)

    assert (result.suppressed, result.already_suppressed) == (1, 1)
    assert ConsentEvent.objects.filter(contact=bob).count() == 1


def test_an_import_touches_only_its_own_list() -> None:
    newsletter, offers = MailingListFactory.create_batch(2)

    run("amazon_ses_suppressions.csv", newsletter)

    assert not Suppression.objects.filter(mailing_list=offers).exists()


def test_a_file_of_no_known_format_fails_before_writing_anything() -> None:
    newsletter = MailingListFactory.create()
    stream = io.BytesIO(b"id,name\n1,ann@example.com\n")

    with pytest.raises(ImportFileUnreadable, match="line 1: no address column"):
        import_suppressions(mailing_list=newsletter, stream=stream, file_name="x.csv")

    assert not Contact.objects.exists()


def test_latin1_bytes_reject_that_row_only() -> None:
    newsletter = MailingListFactory.create()
    stream = io.BytesIO(b"email\nj\xe9r\xf4me@example.com\nok@example.com\n")

    result = import_suppressions(mailing_list=newsletter, stream=stream, file_name="x.csv")

    assert suppressed(newsletter) == {"ok@example.com"}
    assert [(r.line, r.reason) for r in result.errors] == [(2, "the address is not valid UTF-8")]


def test_internationalized_domains_are_stored_in_punycode() -> None:
    newsletter = MailingListFactory.create()
    stream = io.BytesIO("email\r\nRene@bücher.example\r\n".encode())

    import_suppressions(mailing_list=newsletter, stream=stream, file_name="idn.csv")

    assert suppressed(newsletter) == {"rene@xn--bcher-kva.example"}


@pytest.mark.parametrize(
    ("text", "day_first", "expected"),
    [
        ("1622536200", False, datetime(2021, 6, 1, 8, 30, tzinfo=UTC)),
        ("1622536200000", False, datetime(2021, 6, 1, 8, 30, tzinfo=UTC)),
        ("2021-06-01T10:30:00+02:00", False, datetime(2021, 6, 1, 8, 30, tzinfo=UTC)),
        ("Tue, 01 Jun 2021 08:30:00 GMT", False, datetime(2021, 6, 1, 8, 30, tzinfo=UTC)),
        ("01/06/2021", True, datetime(2021, 6, 1, tzinfo=UTC)),
        ("", False, None),
    ],
)
def test_times_are_read_as_each_esp_writes_them(text, day_first, expected) -> None:
    assert parse_time(text, day_first=day_first) == expected


def test_an_import_job_runs_after_upload_and_records_its_counts(
    django_capture_on_commit_callbacks,
) -> None:
    newsletter = MailingListFactory.create()
    upload = SimpleUploadedFile(
        "unsubscribed.csv", (FIXTURES / "mailchimp_unsubscribed.csv").read_bytes()
    )

    with django_capture_on_commit_callbacks(execute=True):
        job = create_import_job(job=ImportJob(file=upload, mailing_list=newsletter))

    job.refresh_from_db()
    assert job.status == ImportStatus.DONE
    assert (job.file_format, job.progress, job.rows, job.suppressed) == ("mailchimp", 100, 4, 2)
    assert (job.duplicates, job.invalid) == (1, 1)
    assert job.errors == [{"line": 4, "reason": "not a valid email address", "kept": False}]
    assert ConsentEvent.objects.filter(mailing_list=newsletter).earliest("pk").detail == {
        "file": "unsubscribed.csv",
        "format": "mailchimp",
        "import_job": job.pk,
    }


def test_an_import_job_of_an_unknown_format_is_marked_failed(
    django_capture_on_commit_callbacks,
) -> None:
    upload = SimpleUploadedFile("x.csv", b"id;name\n1;x\n")

    with django_capture_on_commit_callbacks(execute=True):
        job = create_import_job(
            job=ImportJob(file=upload, mailing_list=MailingListFactory.create())
        )

    job.refresh_from_db()
    assert job.status == ImportStatus.FAILED
    assert "no address column" in job.failure


def test_the_command_imports_synchronously_and_prints_counts_and_rejects() -> None:
    newsletter = MailingListFactory.create(slug="news")
    out = io.StringIO()

    call_command(
        "import_suppressions",
        str(FIXTURES / "mailchimp_unsubscribed.csv"),
        "--list",
        "news",
        stdout=out,
    )

    text = out.getvalue()
    assert "format: mailchimp" in text
    assert "newly suppressed: 2" in text
    assert "line 4: not a valid email address" in text
    assert suppressed(newsletter) == {"ann.lee@example.com", "bob@example.org"}


def test_the_command_names_an_unknown_list() -> None:
    with pytest.raises(CommandError, match="No list with slug 'nope'"):
        call_command("import_suppressions", str(FIXTURES / "plain.txt"), "--list", "nope")


def test_epoch_times_converted_by_the_database_match_the_python_reading() -> None:
    newsletter = MailingListFactory.create()
    stream = io.BytesIO(
        b"email,created\n"
        b"sec@example.com,1622536200\n"
        b"ms@example.com,1622536200123\n"
        b"early@example.com,86400\n"
        b"iso@example.com,2021-06-01T10:30:00+02:00\n"
        b"odd@example.com,999999999999\n"
    )

    result = import_suppressions(mailing_list=newsletter, stream=stream, file_name="t.csv")

    assert result.suppressed == 5
    assert event_time("sec@example.com") == datetime(2021, 6, 1, 8, 30, tzinfo=UTC)
    assert event_time("ms@example.com") == datetime(2021, 6, 1, 8, 30, 0, 123000, tzinfo=UTC)
    assert event_time("early@example.com") == datetime(1970, 1, 2, tzinfo=UTC)
    assert event_time("iso@example.com") == datetime(2021, 6, 1, 8, 30, tzinfo=UTC)
    # Year 33658: Python reads it and refuses; the row stays, with the import time.
    assert [(r.line, r.kept) for r in result.errors] == [(6, True)]
    assert event_time("odd@example.com").year >= 2026


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1622536200", True),
        ("1622536200123", True),
        ("86400", True),
        ("162253620012", False),
        ("16225362001234", False),
        ("", False),
        ("\u0661\u0662", False),  # digits, but not ASCII ones
        ("2021-06-01", False),
    ],
)
def test_only_plain_epoch_seconds_or_milliseconds_go_to_the_database(text, expected) -> None:
    assert is_epoch(text) is expected


def test_address_hashes_are_those_of_hash_address() -> None:
    address = hash_address("ann.lee@example.com")

    assert address_hashes("ann.lee@example.com") == (address.md5, address.sha256)


def test_progress_reports_between_copies_lose_no_row(monkeypatch, settings) -> None:
    settings.OPTOUT_IMPORT_CHUNK_ROWS = 2
    monkeypatch.setattr(loading, "PROGRESS_SECONDS", 0)
    newsletter = MailingListFactory.create()
    lines = [f"user{n}@example.com,{1622536200 + n}" for n in range(9)]
    data = ("email,created\n" + "\n".join(lines) + "\n").encode()
    reported: list[int] = []
    writing: list[bool] = []

    result = import_suppressions(
        mailing_list=newsletter,
        stream=io.BytesIO(data),
        file_name="big.csv",
        size=len(data),
        progress=reported.append,
        writing_started=lambda: writing.append(True),
    )

    assert result.suppressed == 9
    assert suppressed(newsletter) == {f"user{n}@example.com" for n in range(9)}
    assert len(reported) >= 2
    assert reported == sorted(reported)
    assert all(0 <= percent <= 99 for percent in reported)
    assert writing == [True]
    assert ConsentEvent.objects.filter(mailing_list=newsletter).count() == 9


def test_a_job_is_marked_writing_while_its_rows_are_added(
    django_capture_on_commit_callbacks, monkeypatch
) -> None:
    seen: list[tuple[str, int]] = []
    original = loading._commit

    def spy(**kwargs):
        job = ImportJob.objects.get()
        seen.append((job.status, job.progress))
        return original(**kwargs)

    monkeypatch.setattr(loading, "_commit", spy)
    upload = SimpleUploadedFile("s.csv", (FIXTURES / "sendgrid_unsubscribes.csv").read_bytes())

    with django_capture_on_commit_callbacks(execute=True):
        job = create_import_job(
            job=ImportJob(file=upload, mailing_list=MailingListFactory.create())
        )

    job.refresh_from_db()
    assert seen == [(ImportStatus.WRITING, 99)]
    assert (job.status, job.progress, job.suppressed) == (ImportStatus.DONE, 100, 2)


def test_a_row_the_csv_reader_refuses_fails_the_job_and_writes_nothing(
    django_capture_on_commit_callbacks, settings
) -> None:
    settings.OPTOUT_IMPORT_CHUNK_ROWS = 1  # the first row is staged (COPY open) before the error
    newsletter = MailingListFactory.create()
    huge = "x" * 200_000  # past the csv module's field size limit
    data = f"email,created\nann@example.com,1622536200\n{huge}@example.com,1\n".encode()
    upload = SimpleUploadedFile("broken.csv", data)

    with django_capture_on_commit_callbacks(execute=True):
        job = create_import_job(job=ImportJob(file=upload, mailing_list=newsletter))

    job.refresh_from_db()
    assert job.status == ImportStatus.FAILED
    assert "field larger than field limit" in job.failure
    assert not Suppression.objects.filter(mailing_list=newsletter).exists()
    assert not Contact.objects.filter(address="ann@example.com").exists()
