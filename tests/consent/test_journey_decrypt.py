"""Decrypting journey platform opt-outs through a local fake of Adobe's token and decrypt APIs."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone

from consent import tasks
from consent.models import (
    ConsentEvent,
    Contact,
    JourneyChannel,
    JourneyOptOutRequest,
    JourneyRequestState,
    Source,
    Suppression,
)
from consent.origins import Origin
from consent.services import is_suppressed
from consent.services.journey import (
    find_email_params,
    integration_for_recipient,
    receive_journey_mail,
    receive_journey_opt_out,
    retry_journey_requests,
)
from lists.models import ConsentLevel, JourneyIntegration, MailingList
from lists.services import journey_mailto_address
from tests.consent.factories import ContactFactory
from tests.consent.fake_adobe import (
    CLIENT_SECRET,
    DECRYPT_PATH,
    ORG_ID,
    TOKEN_PATH,
    FakeAdobe,
    consent_response,
)
from tests.lists.factories import JourneyIntegrationFactory, MailingListFactory

pytestmark = pytest.mark.django_db

PROFILE = "5142733041546020095851529937068211571"
ORIGIN = Origin(source=Source.JOURNEY_PLATFORM, ip="192.0.2.0", user_agent="AJO", request_id="r1")


@pytest.fixture
def adobe() -> Iterator[FakeAdobe]:
    with FakeAdobe() as fake:
        yield fake


def integration_for(fake: FakeAdobe, *lists: MailingList, **kwargs: object) -> JourneyIntegration:
    return JourneyIntegrationFactory.create(
        decrypt_url=f"{fake.url}{DECRYPT_PATH}",
        token_url=f"{fake.url}{TOKEN_PATH}",
        sandbox=fake.sandbox,
        lists=list(lists),
        **kwargs,
    )


def receive(
    integration: JourneyIntegration, params: str = "P-1", pid: str = "I-1"
) -> JourneyOptOutRequest:
    return receive_journey_opt_out(
        integration=integration,
        channel=JourneyChannel.ONE_CLICK,
        params=params,
        pid=pid,
        origin=ORIGIN,
    )


def decrypt(row: JourneyOptOutRequest) -> JourneyOptOutRequest:
    tasks.decrypt_journey_request.delay(row.pk)
    row.refresh_from_db()
    return row


def due(row: JourneyOptOutRequest) -> datetime:
    """A moment just after the row's next attempt is due."""
    assert row.next_attempt_at is not None
    return row.next_attempt_at + timedelta(seconds=1)


def sweep() -> None:
    call_command("retry_journey_requests", stdout=open("/dev/null", "w"))  # noqa: SIM115


def test_channel_level_suppresses_every_identity_of_the_profile_even_on_an_identity_list(
    adobe: FakeAdobe,
) -> None:
    newsletter = MailingListFactory.create(consent_level=ConsentLevel.IDENTITY)
    other_address = ContactFactory.create(address="john.work@example.com", profile_key=PROFILE)
    adobe.add_pair("P-1", "I-1", consent_response(email="John@Example.com", level="channel"))
    row = decrypt(receive(integration_for(adobe, newsletter)))

    assert row.state == JourneyRequestState.DONE
    contact = Contact.objects.get(address="john@example.com")
    assert contact.profile_key == PROFILE
    suppression = Suppression.objects.get()
    assert (suppression.contact, suppression.profile_key) == (None, PROFILE)
    assert is_suppressed(contact=other_address, mailing_list=newsletter)
    event = ConsentEvent.objects.get()
    assert (event.source, event.level, event.contact) == (
        Source.JOURNEY_PLATFORM,
        ConsentLevel.CHANNEL,
        contact,
    )
    assert event.occurred_at == row.received_at
    assert (event.ip, event.user_agent, event.request_id) == ("192.0.2.0", "AJO", "r1")
    assert event.detail["sandbox_id"] == "prod-sandbox-id"
    assert event.detail["timestamp"] == "2024-11-26T14:25:09.316930Z"
    assert event.detail["profile_namespace"] == "CRMID"
    assert event.detail["platform"] == "adobe_journey_optimizer"
    assert "john@example.com" not in str(event.detail)


def test_identity_level_suppresses_only_that_address_even_on_a_channel_list(
    adobe: FakeAdobe,
) -> None:
    newsletter = MailingListFactory.create(consent_level=ConsentLevel.CHANNEL)
    john = ContactFactory.create(address="john@example.com", profile_key=PROFILE)
    other_address = ContactFactory.create(address="john.work@example.com", profile_key=PROFILE)
    adobe.add_pair("P-1", "I-1", consent_response(email="john@example.com", level="profile"))

    decrypt(receive(integration_for(adobe, newsletter)))

    assert Suppression.objects.get().contact == john
    assert is_suppressed(contact=john, mailing_list=newsletter)
    assert not is_suppressed(contact=other_address, mailing_list=newsletter)
    assert ConsentEvent.objects.get().level == ConsentLevel.IDENTITY


def test_an_opt_out_applies_to_every_list_of_the_integration(adobe: FakeAdobe) -> None:
    news, offers, elsewhere = MailingListFactory.create_batch(3)
    adobe.add_pair("P-1", "I-1", consent_response(email="john@example.com", level="email"))

    decrypt(receive(integration_for(adobe, news, offers)))

    assert set(Suppression.objects.values_list("mailing_list", flat=True)) == {news.pk, offers.pk}
    assert ConsentEvent.objects.count() == 2
    assert not Suppression.objects.filter(mailing_list=elsewhere).exists()


def test_campaign_and_journey_fields_of_the_response_go_to_the_event_detail(
    adobe: FakeAdobe,
) -> None:
    response = consent_response(email="john@example.com") | {
        "campaignId": "c-42",
        "journeyVersionId": "jv-7",
        "journeyActionId": "ja-3",
        "messageExecutionId": "m-9",
        "unsubscribeScope": "all",
    }
    adobe.add_pair("P-1", "I-1", response)

    decrypt(receive(integration_for(adobe, MailingListFactory.create())))

    detail = ConsentEvent.objects.get().detail
    assert (detail["campaign_id"], detail["journey_version_id"], detail["journey_action_id"]) == (
        "c-42",
        "jv-7",
        "ja-3",
    )
    assert (detail["message_execution_id"], detail["unsubscribe_scope"]) == ("m-9", "all")


def test_requests_carry_the_documented_credentials_and_headers() -> None:
    with FakeAdobe(sandbox="prod") as adobe:
        adobe.add_pair("P+/=", "I-1", consent_response(email="john@example.com"))
        row = decrypt(receive(integration_for(adobe, MailingListFactory.create()), params="P+/="))

        assert row.state == JourneyRequestState.DONE
        token_call, decrypt_call = adobe.seen
    assert token_call.method == "POST"
    assert token_call.form["grant_type"] == "client_credentials"
    assert token_call.form["client_secret"] == CLIENT_SECRET
    assert decrypt_call.method == "GET"
    assert decrypt_call.query == {"params": "P+/=", "pid": "I-1"}
    assert decrypt_call.headers["authorization"] == "Bearer token-1"
    assert decrypt_call.headers["x-gw-ims-org-id"] == ORG_ID
    assert decrypt_call.headers["x-api-key"] == "optout-client-id"
    assert decrypt_call.headers["x-sandbox-name"] == "prod"


def test_the_token_is_cached_across_decrypts(adobe: FakeAdobe) -> None:
    integration = integration_for(adobe, MailingListFactory.create())
    for n in range(3):
        adobe.add_pair(
            f"P-{n}", "I", consent_response(email=f"p{n}@example.com", profile_id=f"profile-{n}")
        )
        decrypt(receive(integration, params=f"P-{n}", pid="I"))

    assert len(adobe.token_requests) == 1
    assert len(adobe.decrypt_requests) == 3
    assert Suppression.objects.count() == 3


def test_a_401_refreshes_the_token_once_and_the_opt_out_is_recorded(adobe: FakeAdobe) -> None:
    integration = integration_for(adobe, MailingListFactory.create())
    adobe.add_pair("P-1", "I-1", consent_response(email="a@example.com", profile_id="a"))
    adobe.add_pair("P-2", "I-2", consent_response(email="b@example.com", profile_id="b"))
    decrypt(receive(integration, "P-1", "I-1"))
    adobe.revoked.add("token-1")

    row = decrypt(receive(integration, "P-2", "I-2"))

    assert row.state == JourneyRequestState.DONE
    assert adobe.issued == ["token-1", "token-2"]
    assert [s.headers["authorization"] for s in adobe.decrypt_requests] == [
        "Bearer token-1",
        "Bearer token-1",
        "Bearer token-2",
    ]
    assert Suppression.objects.count() == 2


def test_a_500_leaves_the_row_pending_and_the_sweep_records_it_when_due(
    adobe: FakeAdobe, settings
) -> None:
    settings.OPTOUT_JOURNEY_RETRY_BASE_SECONDS = 30
    adobe.add_pair("P-1", "I-1", consent_response(email="john@example.com"))
    adobe.failures.append(500)

    row = decrypt(receive(integration_for(adobe, MailingListFactory.create())))

    assert (row.state, row.attempts) == (JourneyRequestState.PENDING, 1)
    assert "500" in row.last_error
    assert due(row) - timezone.now() > timedelta(seconds=25)
    assert not Suppression.objects.exists()
    sweep()  # not due yet
    assert len(adobe.decrypt_requests) == 1

    with time_machine.travel(timezone.now() + timedelta(seconds=31)):
        sweep()

    row.refresh_from_db()
    assert (row.state, row.attempts, row.last_error) == (JourneyRequestState.DONE, 2, "")
    assert Suppression.objects.count() == 1


def test_backoff_doubles_after_each_failure(adobe: FakeAdobe, settings) -> None:
    settings.OPTOUT_JOURNEY_RETRY_BASE_SECONDS = 10
    adobe.failures.extend([502, 503, 504])
    row = decrypt(receive(integration_for(adobe, MailingListFactory.create())))
    delays = [round((due(row) - timezone.now()).total_seconds()) - 1]
    for _ in range(2):
        moment = due(row)
        with time_machine.travel(moment, tick=False):
            sweep()
        row.refresh_from_db()
        delays.append(round((due(row) - moment).total_seconds()) - 1)

    assert delays == [10, 20, 40]
    assert row.attempts == 3


def test_a_timeout_is_retried(adobe: FakeAdobe, settings) -> None:
    settings.OPTOUT_JOURNEY_TIMEOUT_SECONDS = 0.2
    adobe.add_pair("P-1", "I-1", consent_response(email="john@example.com"))
    adobe.failures.append("hang")

    row = decrypt(receive(integration_for(adobe, MailingListFactory.create())))
    assert row.state == JourneyRequestState.PENDING
    assert "timed out" in row.last_error.lower()

    with time_machine.travel(due(row)):
        sweep()
    row.refresh_from_db()
    assert row.state == JourneyRequestState.DONE


def test_malformed_json_is_retried(adobe: FakeAdobe) -> None:
    adobe.add_pair("P-1", "I-1", consent_response(email="john@example.com"))
    adobe.failures.append("malformed")

    row = decrypt(receive(integration_for(adobe, MailingListFactory.create())))

    assert (row.state, row.last_error) == (
        JourneyRequestState.PENDING,
        "The journey platform's decrypt API failed: decrypt API answered malformed JSON",
    )
    with time_machine.travel(due(row)):
        sweep()
    row.refresh_from_db()
    assert row.state == JourneyRequestState.DONE


def test_nothing_is_lost_while_the_platform_is_down(adobe: FakeAdobe) -> None:
    integration = integration_for(adobe, MailingListFactory.create())
    adobe.add_pair("P-1", "I-1", consent_response(email="john@example.com"))
    adobe.stop()

    row = decrypt(receive(integration))
    for _ in range(3):
        with time_machine.travel(due(row)):
            sweep()
        row.refresh_from_db()
    assert (row.state, row.attempts) == (JourneyRequestState.PENDING, 4)
    assert "Connection" in row.last_error or "refused" in row.last_error.lower()
    assert not Suppression.objects.exists()

    adobe.start()
    with time_machine.travel(due(row)):
        sweep()
    row.refresh_from_db()
    assert row.state == JourneyRequestState.DONE
    assert Suppression.objects.count() == 1


def test_after_the_last_attempt_the_row_fails_and_a_retry_records_it(
    adobe: FakeAdobe, settings, django_capture_on_commit_callbacks
) -> None:
    settings.OPTOUT_JOURNEY_MAX_ATTEMPTS = 2
    adobe.add_pair("P-1", "I-1", consent_response(email="john@example.com"))
    adobe.failures.extend([500, 500])
    row = decrypt(receive(integration_for(adobe, MailingListFactory.create())))
    with time_machine.travel(due(row)):
        sweep()
    row.refresh_from_db()
    assert (row.state, row.attempts, row.next_attempt_at) == (JourneyRequestState.FAILED, 2, None)
    assert "500" in row.last_error

    with django_capture_on_commit_callbacks(execute=True):
        assert retry_journey_requests(journey_request_ids=[row.pk]) == 1

    row.refresh_from_db()
    assert row.state == JourneyRequestState.DONE
    assert Suppression.objects.count() == 1


def test_a_pair_the_platform_cannot_decrypt_records_nothing(adobe: FakeAdobe) -> None:
    row = decrypt(receive(integration_for(adobe, MailingListFactory.create()), "forged", "forged"))

    assert row.state == JourneyRequestState.REJECTED
    assert "400" in row.last_error
    assert not Contact.objects.exists()
    assert not ConsentEvent.objects.exists()
    assert row.next_attempt_at is None


def test_running_the_task_twice_records_one_opt_out(adobe: FakeAdobe) -> None:
    adobe.add_pair("P-1", "I-1", consent_response(email="john@example.com"))
    row = decrypt(receive(integration_for(adobe, MailingListFactory.create())))

    decrypt(row)

    assert len(adobe.decrypt_requests) == 1
    assert ConsentEvent.objects.count() == 1


def test_the_same_pair_received_twice_is_one_row(adobe: FakeAdobe) -> None:
    integration = integration_for(adobe, MailingListFactory.create())
    adobe.add_pair("P-1", "I-1", consent_response(email="john@example.com"))

    first = receive(integration)
    second = receive(integration)
    decrypt(first)
    decrypt(second)

    assert first.pk == second.pk
    assert JourneyOptOutRequest.objects.count() == 1
    assert ConsentEvent.objects.count() == 1


def test_email_params_from_the_mailto_address_are_decrypted_the_same_way(
    adobe: FakeAdobe,
) -> None:
    integration = integration_for(adobe, MailingListFactory.create())
    adobe.add_email_params("EP-123", consent_response(email="john@example.com", level="profile"))
    recipient = journey_mailto_address(integration=integration)
    email_params = find_email_params("unsubscribe", "Please remove me.\nemailParams=EP-123\n")
    assert email_params == "EP-123"
    assert integration_for_recipient(recipient.upper()) == integration

    row = decrypt(
        receive_journey_mail(integration=integration, email_params=email_params, origin=ORIGIN)
    )

    assert row.state == JourneyRequestState.DONE
    assert adobe.decrypt_requests[0].query == {"emailParams": "EP-123"}
    assert Suppression.objects.get().contact == Contact.objects.get(address="john@example.com")
    assert ConsentEvent.objects.get().detail["channel"] == "mailto"


def test_mail_without_email_params_or_to_another_address_is_not_ours() -> None:
    assert find_email_params("unsubscribe", "no parameters here") is None
    assert find_email_params('emailParams="quoted"') is None
    assert integration_for_recipient("unsubscribe+abc.def@example.com") is None
    assert integration_for_recipient("unsubscribe+journey-unknown@example.com") is None
