from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client

from consent.models import ConsentEvent, Contact, Source, Suppression, WebhookDelivery
from consent.tokens import make_token
from lists.models import ConsentLevel, MailingList
from tests.consent.factories import ContactFactory
from tests.lists.factories import MailerAccessFactory, MailingListFactory, WebhookFactory

pytestmark = pytest.mark.django_db

# RFC 8058 section 3.2, byte for byte: its delimiter lines lack the leading "--".
RFC_EXAMPLE_CONTENT_TYPE = "multipart/form-data; boundary=---FormBoundaryjWmhtjORrn"
RFC_EXAMPLE_BODY = (
    b"---FormBoundaryjWmhtjORrn\r\n"
    b'Content-Disposition: form-data; name="List-Unsubscribe"\r\n'
    b"\r\n"
    b"One-Click\r\n"
    b"---FormBoundaryjWmhtjORrn--\r\n"
)
WELL_FORMED_MULTIPART = (
    b"--xYzZY\r\n"
    b'Content-Disposition: form-data; name="List-Unsubscribe"\r\n'
    b"\r\n"
    b"One-Click\r\n"
    b"--xYzZY--\r\n"
)


@pytest.fixture
def client() -> Client:
    # enforce_csrf_checks: the endpoint must work as a real mail client sees it.
    return Client(enforce_csrf_checks=True)


def _token() -> tuple[str, Contact, MailingList]:
    contact = ContactFactory.create()
    newsletter = MailingListFactory.create()
    return make_token(contact=contact, mailing_list=newsletter), contact, newsletter


def test_urlencoded_one_click_post_unsubscribes_with_a_short_200(client: Client) -> None:
    token, contact, newsletter = _token()
    offers = MailingListFactory.create()

    response = client.post(
        f"/o/{token}/",
        "List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    assert len(response.content) < 100
    assert Suppression.objects.get(contact=contact).mailing_list == newsletter
    assert not Suppression.objects.filter(mailing_list=offers).exists()
    event = ConsentEvent.objects.get(contact=contact)
    assert event.source == Source.ONE_CLICK
    assert event.changed


def test_well_formed_multipart_one_click_post_unsubscribes(client: Client) -> None:
    token, contact, newsletter = _token()

    response = client.post(
        f"/o/{token}/",
        WELL_FORMED_MULTIPART,
        content_type="multipart/form-data; boundary=xYzZY",
    )

    assert response.status_code == 200
    assert Suppression.objects.filter(contact=contact, mailing_list=newsletter).exists()


def test_the_rfc_example_body_unsubscribes_despite_its_malformed_delimiters(
    client: Client,
) -> None:
    token, contact, newsletter = _token()

    response = client.post(f"/o/{token}/", RFC_EXAMPLE_BODY, content_type=RFC_EXAMPLE_CONTENT_TYPE)

    assert response.status_code == 200
    assert Suppression.objects.filter(contact=contact, mailing_list=newsletter).exists()


def test_the_rfc_example_with_bare_newlines_is_accepted_too(client: Client) -> None:
    token, contact, _ = _token()

    body = RFC_EXAMPLE_BODY.replace(b"\r\n", b"\n")
    response = client.post(f"/o/{token}/", body, content_type=RFC_EXAMPLE_CONTENT_TYPE)

    assert response.status_code == 200
    assert Suppression.objects.filter(contact=contact).exists()


def test_the_django_test_clients_own_multipart_encoding_is_accepted(client: Client) -> None:
    token, contact, _ = _token()

    response = client.post(f"/o/{token}/", {"List-Unsubscribe": "One-Click"})

    assert response.status_code == 200
    assert Suppression.objects.filter(contact=contact).exists()


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("application/x-www-form-urlencoded", b""),
        ("application/x-www-form-urlencoded", b"List-Unsubscribe=Nope"),
        ("application/x-www-form-urlencoded", b"List-Unsubscribe="),
        ("application/x-www-form-urlencoded", b"Unsubscribe=One-Click"),
        ("application/x-www-form-urlencoded", b"One-Click"),
        ("application/json", b'{"List-Unsubscribe": "One-Click"}'),
        ("multipart/form-data; boundary=x", b""),
        (
            "multipart/form-data; boundary=x",
            b'--x\r\nContent-Disposition: form-data; name="other"\r\n\r\nOne-Click\r\n--x--\r\n',
        ),
        (
            "multipart/form-data; boundary=x",
            b'--x\r\nContent-Disposition: form-data; name="List-Unsubscribe"\r\n\r\nNo\r\n--x--',
        ),
        ("application/x-www-form-urlencoded", b"List-Unsubscribe=One-Click" + b"&x=" * 5000),
    ],
    ids=[
        "empty",
        "wrong-value",
        "blank-value",
        "wrong-name",
        "value-only",
        "json",
        "empty-multipart",
        "multipart-other-field",
        "multipart-wrong-value",
        "oversized",
    ],
)
def test_any_other_body_answers_400_and_changes_nothing(
    client: Client, content_type: str, body: bytes
) -> None:
    token, _, _ = _token()

    response = client.post(f"/o/{token}/", body, content_type=content_type)

    assert response.status_code == 400
    assert b"List-Unsubscribe=One-Click" in response.content
    assert not Suppression.objects.exists()
    assert not ConsentEvent.objects.exists()


def test_the_answer_sets_no_cookie_and_does_not_redirect(client: Client) -> None:
    token, _, _ = _token()
    # A browser-based client may carry cookies of ours; nothing is set or rotated in answer.
    client.cookies.load({"csrftoken": "x" * 32, "django_language": "fr"})

    response = client.post(
        f"/o/{token}/?lang=de",
        "List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
        headers={"accept-language": "fr"},
    )

    assert response.status_code == 200
    assert not response.cookies
    assert "Set-Cookie" not in response.headers
    assert "Location" not in response.headers


def test_a_get_shows_the_confirmation_and_changes_nothing(client: Client) -> None:
    token, _, newsletter = _token()

    response = client.get(f"/o/{token}/")

    assert response.status_code == 200
    body = response.content.decode()
    assert '<form method="post"' in body
    assert f'action="/u/{newsletter.uuid}/{token}/"' in body
    assert newsletter.name in body
    assert not Suppression.objects.exists()
    assert not ConsentEvent.objects.exists()


def test_a_head_request_changes_nothing(client: Client) -> None:
    token, _, _ = _token()

    client.head(f"/o/{token}/")

    assert not ConsentEvent.objects.exists()


@pytest.mark.parametrize(
    "mangle",
    [
        lambda token: token[:-1] + ("a" if token[-1] != "a" else "b"),
        lambda token: token[: len(token) // 2],
        lambda token: token.split(".")[0],
        lambda token: "zz-zz." + token.split(".")[1],
        lambda token: "not-a-token",
        lambda token: "%C3%A9.%00",
    ],
    ids=["forged-signature", "truncated", "unsigned", "swapped-ids", "garbage", "non-ascii"],
)
def test_a_bad_token_gets_the_same_answer_and_changes_nothing(client: Client, mangle) -> None:
    token, _, _ = _token()
    genuine = client.post(
        f"/o/{token}/",
        "List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    Suppression.objects.all().delete()
    events = ConsentEvent.objects.count()

    response = client.post(
        f"/o/{mangle(token)}/",
        "List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )

    assert response.status_code == 200
    assert response.content == genuine.content
    assert not Suppression.objects.exists()
    assert ConsentEvent.objects.count() == events


def test_a_bad_token_on_get_shows_a_neutral_confirmation(client: Client) -> None:
    response = client.get("/o/abc.def/")

    assert response.status_code == 200
    assert 'name="List-Unsubscribe" value="One-Click"' in response.content.decode()


def test_a_repeat_keeps_one_suppression_and_records_every_request(client: Client) -> None:
    token, contact, _ = _token()

    for _ in range(2):
        response = client.post(
            f"/o/{token}/",
            "List-Unsubscribe=One-Click",
            content_type="application/x-www-form-urlencoded",
        )
        assert response.status_code == 200

    assert Suppression.objects.filter(contact=contact).count() == 1
    assert list(ConsentEvent.objects.order_by("pk").values_list("changed", flat=True)) == [
        True,
        False,
    ]


def _statements_of_a_one_click() -> int:
    """Statements of a one-click opt-out of a team without a webhook endpoint.

    PostgreSQL: one, which reads the token's contact, list and mailer access and writes the
    suppression and the event, autocommitted. SQLite: the token's query, then the
    suppression's `INSERT … ON CONFLICT DO NOTHING` and the event's insert in a transaction.
    Inside the test's own transaction, each durable transaction is a savepoint and its
    release (BEGIN and COMMIT in production; none around PostgreSQL's single statement).
    """
    return 1 + 2 if connection.vendor == "postgresql" else 3 + 2


def test_a_first_one_click_runs_in_one_statement_on_postgresql(
    client: Client, django_assert_num_queries
) -> None:
    access = MailerAccessFactory.create()
    contact = ContactFactory.create()
    token = make_token(contact=contact, mailing_list=access.mailing_list, mailer=access.mailer)

    with django_assert_num_queries(_statements_of_a_one_click()):
        response = client.post(
            f"/o/{token}/",
            "List-Unsubscribe=One-Click",
            content_type="application/x-www-form-urlencoded",
        )

    assert response.status_code == 200
    assert Suppression.objects.filter(contact=contact).count() == 1
    assert ConsentEvent.objects.get(contact=contact).changed


def test_a_first_one_click_of_a_team_with_an_endpoint_queues_its_webhook(
    client: Client, django_assert_num_queries
) -> None:
    access = MailerAccessFactory.create()
    endpoint = WebhookFactory.create(team=access.mailing_list.team)
    contact = ContactFactory.create()
    token = make_token(contact=contact, mailing_list=access.mailing_list, mailer=access.mailer)

    # The token's query, then in one transaction: the suppression, the event, the team's
    # endpoints for this list and their outbox rows. Seven with the transaction's two. On
    # PostgreSQL, the one-statement attempt comes first, in the same transaction: it sees
    # the endpoint and writes nothing (one query more).
    with django_assert_num_queries(8 if connection.vendor == "postgresql" else 7):
        response = client.post(
            f"/o/{token}/",
            "List-Unsubscribe=One-Click",
            content_type="application/x-www-form-urlencoded",
        )

    assert response.status_code == 200
    delivery = WebhookDelivery.objects.get()
    assert delivery.webhook == endpoint
    assert delivery.event == ConsentEvent.objects.get(contact=contact)


def test_a_repeated_one_click_runs_in_as_many_statements(
    client: Client, django_assert_num_queries
) -> None:
    token, _, _ = _token()
    client.post(
        f"/o/{token}/",
        "List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )

    # The suppression insert meets the existing row and does nothing; the event is written.
    with django_assert_num_queries(_statements_of_a_one_click()):
        client.post(
            f"/o/{token}/",
            "List-Unsubscribe=One-Click",
            content_type="application/x-www-form-urlencoded",
        )


def test_the_event_carries_the_request_traces_and_the_mailer_the_token_was_signed_for(
    client: Client,
) -> None:
    access = MailerAccessFactory.create()
    contact = ContactFactory.create()
    token = make_token(contact=contact, mailing_list=access.mailing_list, mailer=access.mailer)

    client.post(
        f"/o/{token}/",
        "List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
        HTTP_USER_AGENT="Provider-Unsubscriber/1.0",
        HTTP_X_REQUEST_ID="req-0123456789",
        REMOTE_ADDR="192.0.2.77",
    )

    event = ConsentEvent.objects.get()
    assert (event.action, event.scope, event.level, event.source) == (
        "opt_out",
        "list",
        ConsentLevel.IDENTITY,
        Source.ONE_CLICK,
    )
    assert (event.contact, event.mailing_list, event.mailer, event.category) == (
        contact,
        access.mailing_list,
        access.mailer,
        None,
    )
    assert (event.ip, event.user_agent, event.request_id) == (
        "192.0.2.0",
        "Provider-Unsubscriber/1.0",
        "req-0123456789",
    )
    assert (event.reason, event.detail, event.profile_key) == ("", {}, "")
    assert event.recorded_at is not None
    assert event.occurred_at is not None


def test_a_mailer_whose_access_was_revoked_is_left_off_the_event(client: Client) -> None:
    access = MailerAccessFactory.create()
    contact = ContactFactory.create()
    token = make_token(contact=contact, mailing_list=access.mailing_list, mailer=access.mailer)
    access.delete()

    client.post(
        f"/o/{token}/",
        "List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )

    event = ConsentEvent.objects.get()
    assert (event.contact, event.mailer, event.changed) == (contact, None, True)
    assert Suppression.objects.get().contact == contact


def test_on_a_channel_list_the_person_is_suppressed_when_the_contact_has_a_profile(
    client: Client,
) -> None:
    newsletter = MailingListFactory.create(consent_level=ConsentLevel.CHANNEL)
    person = ContactFactory.create(profile_key="person-7")
    address_only = ContactFactory.create()

    for contact in (person, address_only):
        client.post(
            f"/o/{make_token(contact=contact, mailing_list=newsletter)}/",
            "List-Unsubscribe=One-Click",
            content_type="application/x-www-form-urlencoded",
        )

    assert sorted(Suppression.objects.values_list("contact", "profile_key"), key=str) == sorted(
        [(None, "person-7"), (address_only.pk, None)], key=str
    )
    assert dict(ConsentEvent.objects.values_list("contact", "level")) == {
        person.pk: ConsentLevel.CHANNEL,
        address_only.pk: ConsentLevel.IDENTITY,
    }
    assert dict(ConsentEvent.objects.values_list("contact", "profile_key")) == {
        person.pk: "person-7",
        address_only.pk: "",
    }


def test_a_token_of_a_deleted_contact_changes_nothing(client: Client) -> None:
    token, contact, _ = _token()
    contact.delete()

    response = client.post(
        f"/o/{token}/",
        "List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )

    assert response.status_code == 200
    assert not Suppression.objects.exists()
    assert not ConsentEvent.objects.exists()
