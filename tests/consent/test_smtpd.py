from __future__ import annotations

import smtplib
import socket
from collections.abc import Iterator
from pathlib import Path
from string import Template

import pytest

from consent.management.commands.smtpd import make_controller
from consent.models import ConsentEvent, Source, Suppression
from consent.tokens import make_token
from tests.consent.factories import ContactFactory
from tests.lists.factories import MailingListFactory

# The server answers from its own thread, so the rows must be committed for it to see them.
pytestmark = pytest.mark.django_db(transaction=True)

FIXTURES = Path(__file__).parent / "fixtures" / "mail"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def smtp_port(settings) -> Iterator[int]:
    settings.OPTOUT_MAILTO_DOMAIN = "optout.example"
    port = free_port()
    controller = make_controller(host="127.0.0.1", port=port)
    controller.start()
    try:
        yield port
    finally:
        controller.stop()


def test_a_mail_client_request_sent_over_smtp_unsubscribes(smtp_port) -> None:
    contact = ContactFactory.create()
    newsletter = MailingListFactory.create()
    token = make_token(contact=contact, mailing_list=newsletter)
    raw = Template((FIXTURES / "gmail_unsubscribe.eml").read_text()).substitute(token=token)

    with smtplib.SMTP("127.0.0.1", smtp_port, timeout=10) as client:
        refused = client.sendmail(
            "jane.reader@gmail.com", [f"unsubscribe+{token}@optout.example"], raw
        )

    assert refused == {}
    assert Suppression.objects.get(mailing_list=newsletter).contact == contact
    assert ConsentEvent.objects.get().source == Source.MAILTO


def test_the_server_refuses_to_relay_to_other_addresses(smtp_port) -> None:
    with (
        smtplib.SMTP("127.0.0.1", smtp_port, timeout=10) as client,
        pytest.raises(smtplib.SMTPRecipientsRefused) as refused,
    ):
        client.sendmail("spammer@example.net", ["victim@example.org"], b"Subject: hi\r\n\r\nx")

    code, text = refused.value.recipients["victim@example.org"]
    assert code == 550
    assert b"Relaying denied" in text


def test_an_auto_reply_over_smtp_is_accepted_but_changes_nothing(smtp_port) -> None:
    contact = ContactFactory.create()
    newsletter = MailingListFactory.create()
    token = make_token(contact=contact, mailing_list=newsletter)
    raw = Template((FIXTURES / "auto_submitted.eml").read_text()).substitute(token=token)

    with smtplib.SMTP("127.0.0.1", smtp_port, timeout=10) as client:
        client.sendmail("boss@example.com", [f"unsubscribe+{token}@optout.example"], raw)

    assert not Suppression.objects.exists()
