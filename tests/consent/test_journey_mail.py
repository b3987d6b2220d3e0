"""Mail to a journey integration's mailto address, through the same intake as every mail.

Adobe Journey Optimizer's customer-managed mailto puts our address in List-Unsubscribe with
the encrypted `emailParams` in the pre-filled body (or subject); the mail client sends it,
the intake stores the value and a task asks the platform (here a local fake) what it means.
"""

from __future__ import annotations

import smtplib
from collections.abc import Iterator
from string import Template

import pytest

from consent.management.commands.smtpd import make_controller
from consent.models import (
    ConsentEvent,
    Contact,
    JourneyChannel,
    JourneyOptOutRequest,
    JourneyRequestState,
    Source,
    Suppression,
)
from consent.services import is_suppressed
from consent.services.mailto import MailtoOutcome, process_mailto
from lists.models import JourneyIntegration, MailingList
from lists.services import journey_mailto_address
from tests.consent.fake_adobe import DECRYPT_PATH, TOKEN_PATH, FakeAdobe, consent_response
from tests.consent.receivers import free_port
from tests.lists.factories import JourneyIntegrationFactory, MailingListFactory

# The SMTP test's server answers from its own thread: rows must be committed for it.
pytestmark = pytest.mark.django_db(transaction=True)

EMAIL_PARAMS = "eyJwIjoiNTE0MjczMzA0MTU0NjAyMDA5NTg1MTUyOTkzNzA2ODIxMTU3MSJ9.Qm9keQ-_x"

# What Gmail sends for `mailto:<address>?subject=unsubscribe&body=emailParams%3D<value>`.
GMAIL = Template("""\
Delivered-To: $address
MIME-Version: 1.0
From: John Reader <john.reader@gmail.com>
Date: Thu, 14 Mar 2024 02:26:53 -0700
Message-ID: <CAF=Jy7ab3Q@mail.gmail.com>
Subject: $subject
To: $address
Content-Type: multipart/alternative; boundary="000000000000c1f0a00613a8a1b3"

--000000000000c1f0a00613a8a1b3
Content-Type: text/plain; charset="UTF-8"

$body

--000000000000c1f0a00613a8a1b3
Content-Type: text/html; charset="UTF-8"

<div dir="ltr">$body</div>

--000000000000c1f0a00613a8a1b3--
""")

OUT_OF_OFFICE = Template("""\
From: Boss <boss@example.com>
To: $address
Subject: Out of office: unsubscribe
Auto-Submitted: auto-replied
Message-ID: <ooo-1@example.com>
Content-Type: text/plain; charset="UTF-8"

I am away until Monday.
> emailParams=$params
""")

BOUNCE = Template("""\
From: Mail Delivery Subsystem <mailer-daemon@googlemail.com>
To: $address
Subject: Delivery Status Notification (Failure)
Message-ID: <bounce-1@googlemail.com>
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="b1"

--b1
Content-Type: text/plain; charset="UTF-8"

Address not found. emailParams=$params

--b1
Content-Type: message/delivery-status

Reporting-MTA: dns; googlemail.com
Final-Recipient: rfc822; someone@example.org
Action: failed
Status: 5.1.1

--b1--
""")


@pytest.fixture(autouse=True)
def _mailto_domain(settings) -> None:
    settings.OPTOUT_MAILTO_DOMAIN = "optout.example"


@pytest.fixture
def adobe() -> Iterator[FakeAdobe]:
    with FakeAdobe() as fake:
        yield fake


@pytest.fixture
def integration(adobe: FakeAdobe) -> JourneyIntegration:
    adobe.add_email_params(EMAIL_PARAMS, consent_response(email="john.reader@gmail.com"))
    return JourneyIntegrationFactory.create(
        decrypt_url=f"{adobe.url}{DECRYPT_PATH}",
        token_url=f"{adobe.url}{TOKEN_PATH}",
        sandbox=adobe.sandbox,
        lists=[MailingListFactory.create(slug="news")],
    )


def reader_is_suppressed() -> bool:
    # Adobe's default optOutLevel is "channel": the profile, with every identity, opts out.
    return is_suppressed(
        contact=Contact.objects.get(address="john.reader@gmail.com"),
        mailing_list=MailingList.objects.get(slug="news"),
    )


def gmail(
    integration: JourneyIntegration, *, subject: str = "unsubscribe", body: str = ""
) -> bytes:
    address = journey_mailto_address(integration=integration)
    return GMAIL.substitute(address=address, subject=subject, body=body).encode()


def test_email_params_in_the_body_are_decrypted_and_opt_the_reader_out(
    integration: JourneyIntegration, adobe: FakeAdobe
) -> None:
    result = process_mailto(gmail(integration, body=f"emailParams={EMAIL_PARAMS}"))

    assert (result.outcome, result.found_in) == (MailtoOutcome.JOURNEY_RECEIVED, "body")
    row = JourneyOptOutRequest.objects.get()
    assert (row.integration, row.channel, row.params, row.pid) == (
        integration,
        JourneyChannel.MAILTO,
        EMAIL_PARAMS,
        "",
    )
    assert row.request_id == "<CAF=Jy7ab3Q@mail.gmail.com>"
    assert row.state == JourneyRequestState.DONE
    assert adobe.decrypt_requests[0].query == {"emailParams": EMAIL_PARAMS}
    assert reader_is_suppressed()
    event = ConsentEvent.objects.get()
    assert (event.source, event.detail["channel"]) == (Source.JOURNEY_PLATFORM, "mailto")


def test_url_encoded_email_params_in_the_subject_are_found(
    integration: JourneyIntegration, adobe: FakeAdobe
) -> None:
    encoded = EMAIL_PARAMS.replace("-", "%2D").replace("_", "%5F")

    result = process_mailto(gmail(integration, subject=f"unsubscribe emailParams={encoded}"))

    assert (result.outcome, result.found_in) == (MailtoOutcome.JOURNEY_RECEIVED, "subject")
    assert JourneyOptOutRequest.objects.get().params == EMAIL_PARAMS
    assert Suppression.objects.count() == 1


def test_the_envelope_recipient_identifies_the_integration_when_headers_do_not(
    integration: JourneyIntegration,
) -> None:
    raw = GMAIL.substitute(
        address="undisclosed-recipients:;",
        subject="unsubscribe",
        body=f"emailParams={EMAIL_PARAMS}",
    ).encode()

    result = process_mailto(raw, recipients=[journey_mailto_address(integration=integration)])

    assert result.outcome is MailtoOutcome.JOURNEY_RECEIVED
    assert JourneyOptOutRequest.objects.get().integration == integration
    assert Suppression.objects.count() == 1


def test_the_same_mail_twice_is_one_request_and_one_opt_out(
    integration: JourneyIntegration, adobe: FakeAdobe
) -> None:
    raw = gmail(integration, body=f"emailParams={EMAIL_PARAMS}")

    first = process_mailto(raw)
    second = process_mailto(raw)

    assert first.outcome is second.outcome is MailtoOutcome.JOURNEY_RECEIVED
    assert JourneyOptOutRequest.objects.count() == 1
    assert ConsentEvent.objects.count() == 1
    assert Suppression.objects.count() == 1


@pytest.mark.parametrize(
    ("template", "outcome"),
    [(OUT_OF_OFFICE, MailtoOutcome.AUTO_REPLY), (BOUNCE, MailtoOutcome.DELIVERY_REPORT)],
)
def test_auto_replies_and_delivery_reports_to_the_journey_address_store_nothing(
    integration: JourneyIntegration, adobe: FakeAdobe, template: Template, outcome: MailtoOutcome
) -> None:
    address = journey_mailto_address(integration=integration)

    result = process_mailto(template.substitute(address=address, params=EMAIL_PARAMS).encode())

    assert result.outcome is outcome
    assert not JourneyOptOutRequest.objects.exists()
    assert adobe.seen == []
    assert not Suppression.objects.exists()


def test_mail_to_the_journey_address_without_email_params_stores_nothing(
    integration: JourneyIntegration, adobe: FakeAdobe
) -> None:
    result = process_mailto(gmail(integration, body="Please take me off your list."))

    assert result.outcome is MailtoOutcome.NO_TOKEN
    assert not JourneyOptOutRequest.objects.exists()
    assert adobe.seen == []


def test_an_inactive_or_unknown_integration_address_is_not_a_journey_mail(
    integration: JourneyIntegration, adobe: FakeAdobe
) -> None:
    raw = gmail(integration, body=f"emailParams={EMAIL_PARAMS}")
    JourneyIntegration.objects.filter(pk=integration.pk).update(active=False)
    unknown = GMAIL.substitute(
        address="unsubscribe+journey-unknownkey@optout.example",
        subject="unsubscribe",
        body=f"emailParams={EMAIL_PARAMS}",
    ).encode()

    assert process_mailto(raw).outcome is MailtoOutcome.FORGED_TOKEN
    assert process_mailto(unknown).outcome is MailtoOutcome.FORGED_TOKEN
    assert not JourneyOptOutRequest.objects.exists()
    assert adobe.seen == []


def test_a_journey_mail_sent_over_smtp_opts_the_reader_out(
    integration: JourneyIntegration, adobe: FakeAdobe
) -> None:
    address = journey_mailto_address(integration=integration)
    port = free_port()
    controller = make_controller(host="127.0.0.1", port=port)
    controller.start()
    try:
        with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
            refused = client.sendmail(
                "john.reader@gmail.com",
                [address],
                gmail(integration, body=f"emailParams={EMAIL_PARAMS}"),
            )
    finally:
        controller.stop()

    assert refused == {}
    assert JourneyOptOutRequest.objects.get().state == JourneyRequestState.DONE
    assert adobe.decrypt_requests[0].query == {"emailParams": EMAIL_PARAMS}
    assert reader_is_suppressed()
