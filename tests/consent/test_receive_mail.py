from __future__ import annotations

import io
import logging
import sys
from pathlib import Path
from string import Template

import pytest
from django.core.management import call_command

from consent.models import ConsentEvent, Source, Suppression
from consent.services.mailto import MailtoOutcome, accepts_recipient, process_mailto
from consent.tokens import make_token
from tests.consent.factories import ContactFactory
from tests.lists.factories import MailerAccessFactory, MailingListFactory

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).parent / "fixtures" / "mail"


@pytest.fixture(autouse=True)
def _mailto_domain(settings) -> None:
    settings.OPTOUT_MAILTO_DOMAIN = "optout.example"


def message(name: str, token: str) -> bytes:
    return Template((FIXTURES / name).read_text()).substitute(token=token).encode()


@pytest.fixture
def subscription():
    contact = ContactFactory.create(address="jane.reader@gmail.com")
    newsletter = MailingListFactory.create()
    return contact, newsletter, make_token(contact=contact, mailing_list=newsletter)


@pytest.mark.parametrize(
    ("name", "found_in"),
    [
        ("gmail_unsubscribe.eml", "recipient"),
        ("apple_mail_unsubscribe.eml", "recipient"),
        ("token_in_subject.eml", "subject"),
        ("token_in_body.eml", "body"),
    ],
)
def test_a_genuine_request_unsubscribes_the_token_owner(subscription, name, found_in) -> None:
    contact, newsletter, token = subscription

    result = process_mailto(message(name, token))

    assert result.outcome is MailtoOutcome.UNSUBSCRIBED
    assert result.found_in == found_in
    assert Suppression.objects.get(mailing_list=newsletter).contact == contact
    event = ConsentEvent.objects.get(contact=contact)
    assert (event.source, event.detail) == (Source.MAILTO, {"token_in": found_in})


def test_a_token_uppercased_by_an_mta_still_works(subscription) -> None:
    contact, newsletter, token = subscription

    result = process_mailto(message("gmail_unsubscribe.eml", token.upper()))

    assert result.unsubscribed
    assert Suppression.objects.filter(contact=contact, mailing_list=newsletter).exists()


def test_the_envelope_recipient_is_used_when_headers_carry_no_token(subscription) -> None:
    contact, newsletter, token = subscription
    raw = b"From: a@example.net\r\nTo: undisclosed-recipients:;\r\nSubject: hi\r\n\r\nbye\r\n"

    result = process_mailto(raw, recipients=[f"unsubscribe+{token}@optout.example"])

    assert result.found_in == "recipient"
    assert Suppression.objects.filter(contact=contact, mailing_list=newsletter).exists()


def test_a_mailer_token_records_the_mailer(subscription) -> None:
    contact, newsletter, _ = subscription
    # A token names its mailer through the mailer's access to the list.
    mailer = MailerAccessFactory.create(mailing_list=newsletter).mailer
    token = make_token(contact=contact, mailing_list=newsletter, mailer=mailer)

    process_mailto(message("apple_mail_unsubscribe.eml", token))

    assert ConsentEvent.objects.get(contact=contact).mailer == mailer


@pytest.mark.parametrize(
    ("name", "outcome"),
    [
        ("auto_submitted.eml", MailtoOutcome.AUTO_REPLY),
        ("x_autoreply.eml", MailtoOutcome.AUTO_REPLY),
        ("x_autorespond.eml", MailtoOutcome.AUTO_REPLY),
        ("precedence_auto_reply.eml", MailtoOutcome.AUTO_REPLY),
        ("vacation_subject.eml", MailtoOutcome.AUTO_REPLY),
        ("delivery_report.eml", MailtoOutcome.DELIVERY_REPORT),
        ("postmaster_bounce.eml", MailtoOutcome.DELIVERY_REPORT),
    ],
)
def test_auto_replies_and_delivery_reports_never_unsubscribe_and_log_no_address(
    subscription, caplog, name, outcome
) -> None:
    _, _, token = subscription
    caplog.set_level(logging.INFO, logger="consent")

    result = process_mailto(message(name, token))

    assert result.outcome is outcome
    assert not Suppression.objects.exists()
    assert not ConsentEvent.objects.exists()
    assert caplog.records
    assert "@" not in caplog.text


def test_a_null_envelope_sender_marks_a_bounce(subscription) -> None:
    _, _, token = subscription

    result = process_mailto(message("gmail_unsubscribe.eml", token), envelope_sender="<>")

    assert result.outcome is MailtoOutcome.DELIVERY_REPORT
    assert not Suppression.objects.exists()


def test_a_forged_token_is_ignored_and_logged_without_the_address(subscription, caplog) -> None:
    _, _, token = subscription
    ids, _, signature = token.partition(".")
    forged = f"{ids}.{'a' * len(signature)}"
    caplog.set_level(logging.INFO, logger="consent")

    result = process_mailto(message("gmail_unsubscribe.eml", forged))

    assert result.outcome is MailtoOutcome.FORGED_TOKEN
    assert not Suppression.objects.exists()
    assert "forged" in caplog.text
    assert "@" not in caplog.text


def test_a_message_without_any_token_is_ignored() -> None:
    raw = (
        b"From: a@example.net\r\nTo: help@optout.example\r\nSubject: unsubscribe\r\n\r\nplease\r\n"
    )

    assert process_mailto(raw).outcome is MailtoOutcome.NO_TOKEN


def test_a_second_request_keeps_one_suppression(subscription) -> None:
    contact, _, token = subscription

    process_mailto(message("gmail_unsubscribe.eml", token))
    again = process_mailto(message("apple_mail_unsubscribe.eml", token))

    assert again.unsubscribed
    assert not again.changed
    assert Suppression.objects.count() == 1
    assert ConsentEvent.objects.filter(contact=contact).count() == 2


@pytest.mark.parametrize(
    ("address", "accepted"),
    [
        ("unsubscribe+abc.def@optout.example", True),
        ("<UNSUBSCRIBE+abc@OPTOUT.EXAMPLE>", True),
        ("unsubscribe@optout.example", False),
        ("unsubscribe+abc@elsewhere.example", False),
        ("postmaster@optout.example", False),
    ],
)
def test_only_unsubscribe_addresses_of_our_domain_are_accepted(address, accepted) -> None:
    assert accepts_recipient(address) is accepted


def test_receive_mail_reads_one_message_on_stdin(subscription, monkeypatch) -> None:
    contact, newsletter, token = subscription
    stdin = io.TextIOWrapper(io.BytesIO(message("gmail_unsubscribe.eml", token)))
    monkeypatch.setattr(sys, "stdin", stdin)
    out = io.StringIO()

    call_command("receive_mail", stdout=out)

    assert out.getvalue().strip() == "unsubscribed"
    assert Suppression.objects.filter(contact=contact, mailing_list=newsletter).exists()
