from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.test import Client

from consent.models import ConsentEvent, EspConnection, EspProvider, Source, Suppression
from tests.lists.factories import MailingListFactory

pytestmark = pytest.mark.django_db

BASIC = "esp:correct-horse"


def basic_auth(credentials: str = BASIC) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": "Basic " + base64.b64encode(credentials.encode()).decode()}


def connection(provider: str, **secrets: str) -> EspConnection:
    return EspConnection.objects.create(
        name=provider, provider=provider, mailing_list=MailingListFactory.create(), **secrets
    )


def suppressed(conn: EspConnection) -> set[str]:
    return set(
        Suppression.objects.filter(mailing_list=conn.mailing_list).values_list(
            "contact__address", flat=True
        )
    )


# --- SendGrid: signed event webhook (ECDSA P-256 over timestamp + body) ---


@pytest.fixture
def sendgrid_keys():
    private = ec.generate_private_key(ec.SECP256R1())
    public = private.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return private, base64.b64encode(public).decode()


SENDGRID_EVENTS = [
    {
        "email": "unsub@example.com",
        "timestamp": 1513299569,
        "smtp-id": "<14c5d75ce93.dfd.64b469@ismtpd-555>",
        "event": "unsubscribe",
        "category": "cat facts",
        "sg_event_id": "zmzJhfJgAfUSOW80yEbPyw==",
        "sg_message_id": "14c5d75ce93.dfd.64b469.filter0001.16648.5515E0B88.0",
    },
    {
        "email": "spam@example.com",
        "timestamp": 1513299570,
        "event": "spamreport",
        "sg_event_id": "yA4Q2Xv9Q0uKbqJ7fQ9gVg==",
        "sg_message_id": "14c5d75ce93.dfd.64b469.filter0001.16648.5515E0B88.1",
    },
    {
        "email": "happy@example.com",
        "timestamp": 1513299571,
        "event": "delivered",
        "response": "250 OK",
        "sg_event_id": "rWVYmVk90MjZJ9iohOBa3w==",
        "sg_message_id": "14c5d75ce93.dfd.64b469.filter0001.16648.5515E0B88.2",
    },
]


def sendgrid_post(client: Client, conn: EspConnection, private, body: bytes, *, tamper=False):
    timestamp = "1700000000"
    signature = private.sign(timestamp.encode() + body, ec.ECDSA(hashes.SHA256()))
    sent = body.replace(b"unsub@", b"other@") if tamper else body
    return client.post(
        f"/esp/{conn.uuid}/",
        sent,
        content_type="application/json",
        HTTP_X_TWILIO_EMAIL_EVENT_WEBHOOK_SIGNATURE=base64.b64encode(signature).decode(),
        HTTP_X_TWILIO_EMAIL_EVENT_WEBHOOK_TIMESTAMP=timestamp,
    )


def test_sendgrid_signed_unsubscribe_and_spam_report_opt_out(client, sendgrid_keys) -> None:
    private, public = sendgrid_keys
    conn = connection(EspProvider.SENDGRID, signing_key=public)

    response = sendgrid_post(client, conn, private, json.dumps(SENDGRID_EVENTS).encode())

    assert response.status_code == 200
    assert suppressed(conn) == {"unsub@example.com", "spam@example.com"}
    events = ConsentEvent.objects.order_by("occurred_at")
    assert [(e.source, e.reason) for e in events] == [
        (Source.ESP_WEBHOOK, "unsubscribed"),
        (Source.ESP_WEBHOOK, "complained"),
    ]
    assert events[0].occurred_at == datetime.fromtimestamp(1513299569, tz=UTC)
    assert events[0].detail["esp"] == "sendgrid"


def test_sendgrid_with_a_bad_signature_changes_nothing(client, sendgrid_keys) -> None:
    private, public = sendgrid_keys
    conn = connection(EspProvider.SENDGRID, signing_key=public)

    body = json.dumps(SENDGRID_EVENTS).encode()
    response = sendgrid_post(client, conn, private, body, tamper=True)

    assert response.status_code == 400
    assert not Suppression.objects.exists()


# --- Mailgun: HMAC-SHA256 of timestamp + token with the webhook signing key ---


def mailgun_body(event: str, recipient: str, key: str, *, timestamp: str = "1521243339") -> bytes:
    token = "3a1b7c5e9d2f4a6b8c0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a"
    signature = hmac.new(key.encode(), (timestamp + token).encode(), hashlib.sha256).hexdigest()
    return json.dumps(
        {
            "signature": {"timestamp": timestamp, "token": token, "signature": signature},
            "event-data": {
                "event": event,
                "timestamp": 1521243339.873676,
                "id": "Ase7i2zsRYeDXztHGENqRA",
                "recipient": recipient,
                "recipient-domain": "example.com",
                "tags": ["my_tag_1"],
                "message": {"headers": {"message-id": "20130503182626.18666.16540@example.com"}},
                "log-level": "warn",
            },
        }
    ).encode()


@pytest.mark.parametrize(
    ("event", "reason"), [("unsubscribed", "unsubscribed"), ("complained", "complained")]
)
def test_mailgun_signed_events_opt_out(client, event, reason) -> None:
    conn = connection(EspProvider.MAILGUN, signing_key="key-signing-secret")

    response = client.post(
        f"/esp/{conn.uuid}/",
        mailgun_body(event, "alice@example.com", "key-signing-secret"),
        content_type="application/json",
    )

    assert response.status_code == 200
    assert suppressed(conn) == {"alice@example.com"}
    assert ConsentEvent.objects.get().reason == reason


def test_mailgun_signed_with_another_key_is_refused(client) -> None:
    conn = connection(EspProvider.MAILGUN, signing_key="key-signing-secret")

    response = client.post(
        f"/esp/{conn.uuid}/",
        mailgun_body("unsubscribed", "alice@example.com", "someone-elses-key"),
        content_type="application/json",
    )

    assert response.status_code == 400
    assert not Suppression.objects.exists()


# --- Amazon SES: SNS notification, basic auth in the subscription URL, topic pinned ---

TOPIC = "arn:aws:sns:us-east-1:123456789012:ses-complaints"


def ses_notification(topic: str = TOPIC) -> tuple[bytes, dict[str, str]]:
    message = {
        "notificationType": "Complaint",
        "complaint": {
            "feedbackId": "0100017c0bd5b6b1-5f4c-4d0b-9b7c-3f1d6d0e1b5a-000000",
            "complaintSubType": None,
            "complainedRecipients": [{"emailAddress": "richard@example.com"}],
            "timestamp": "2016-01-27T14:59:44.000Z",
            "userAgent": "AnyCompany Feedback Loop (V0.01)",
            "complaintFeedbackType": "abuse",
        },
        "mail": {
            "timestamp": "2016-01-27T14:59:38.237Z",
            "messageId": "0000014644fe5ef6-9a483358-9170-4cb4-a269-f5dcdf415321-000000",
            "source": "john@example.com",
            "destination": ["richard@example.com"],
        },
    }
    notification = {
        "Type": "Notification",
        "MessageId": "22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324",
        "TopicArn": topic,
        "Message": json.dumps(message),
        "Timestamp": "2016-01-27T14:59:45.000Z",
        "SignatureVersion": "1",
        "Signature": "EXAMPLElDMXvB8r9R83tGoNn0ecwd5UjllzsvSvbItzfaMpN2nk5HVSw7XnOn/49IkxDKz8Yr=",
        "SigningCertURL": "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-f3ecfb7224c7233fe7bb5f59f96de52f.pem",
        "UnsubscribeURL": "https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe",
    }
    headers = {
        "HTTP_X_AMZ_SNS_MESSAGE_TYPE": "Notification",
        "HTTP_X_AMZ_SNS_MESSAGE_ID": notification["MessageId"],
        "HTTP_X_AMZ_SNS_TOPIC_ARN": topic,
    }
    return json.dumps(notification).encode(), headers


def test_amazon_ses_complaint_opts_out(client) -> None:
    conn = connection(EspProvider.AMAZON_SES, basic_auth=BASIC, sns_topic_arn=TOPIC)
    body, headers = ses_notification()

    response = client.post(
        f"/esp/{conn.uuid}/", body, content_type="text/plain", **headers, **basic_auth()
    )

    assert response.status_code == 200
    assert suppressed(conn) == {"richard@example.com"}
    assert ConsentEvent.objects.get().reason == "complained"


def test_amazon_ses_asks_for_credentials_and_refuses_wrong_ones(client) -> None:
    conn = connection(EspProvider.AMAZON_SES, basic_auth=BASIC)
    body, headers = ses_notification()

    challenge = client.post(f"/esp/{conn.uuid}/", body, content_type="text/plain", **headers)
    wrong = client.post(
        f"/esp/{conn.uuid}/",
        body,
        content_type="text/plain",
        **headers,
        **basic_auth("esp:wrong"),
    )

    assert challenge.status_code == 401
    assert challenge["WWW-Authenticate"].startswith("Basic")
    assert wrong.status_code == 400
    assert not Suppression.objects.exists()


def test_amazon_ses_from_another_topic_is_refused(client) -> None:
    conn = connection(EspProvider.AMAZON_SES, basic_auth=BASIC, sns_topic_arn=TOPIC)
    body, headers = ses_notification(topic="arn:aws:sns:us-east-1:999999999999:other")

    response = client.post(
        f"/esp/{conn.uuid}/", body, content_type="text/plain", **headers, **basic_auth()
    )

    assert response.status_code == 400
    assert not Suppression.objects.exists()


# --- Brevo: basic auth ---

BREVO_EVENTS = [
    {
        "event": "unsubscribe",
        "email": "bruno@example.com",
        "id": 123456,
        "date": "2020-10-09 00:00:00",
        "ts": 1604933619,
        "message-id": "<201798300811.5787683@relay.domain.com>",
        "ts_event": 1604933654,
        "subject": "My first Transactional",
        "sending_ip": "xxx.xxx.xxx.xxx",
        "ts_epoch": 1604933654000,
        "tags": ["transac_messages"],
    },
    {
        "event": "spam",
        "email": "sofia@example.com",
        "id": 123456,
        "date": "2020-10-09 00:00:00",
        "ts": 1604933619,
        "message-id": "<201798300811.5787684@relay.domain.com>",
        "ts_event": 1604933654,
        "subject": "My first Transactional",
        "tags": [],
    },
]


@pytest.mark.parametrize("event", BREVO_EVENTS, ids=lambda event: event["event"])
def test_brevo_unsubscribe_and_spam_opt_out(client, event) -> None:
    conn = connection(EspProvider.BREVO, basic_auth=BASIC)

    response = client.post(
        f"/esp/{conn.uuid}/", json.dumps(event), content_type="application/json", **basic_auth()
    )

    assert response.status_code == 200
    assert suppressed(conn) == {event["email"]}


def test_brevo_without_credentials_is_refused(client) -> None:
    conn = connection(EspProvider.BREVO, basic_auth=BASIC)

    response = client.post(
        f"/esp/{conn.uuid}/", json.dumps(BREVO_EVENTS[0]), content_type="application/json"
    )

    assert response.status_code == 400
    assert not Suppression.objects.exists()


# --- Postmark: basic auth ---

POSTMARK_SUBSCRIPTION_CHANGE = {
    "RecordType": "SubscriptionChange",
    "MessageID": "883953f4-6105-42a2-a16a-77a8eac79483",
    "ServerID": 123456,
    "MessageStream": "outbound",
    "ChangedAt": "2020-02-01T10:53:34.416071Z",
    "Recipient": "bounced-address@wildbit.com",
    "Origin": "Recipient",
    "SuppressSending": True,
    "SuppressionReason": "ManualSuppression",
    "Tag": "my-tag",
    "Metadata": {"example": "value", "example_2": "value"},
}
POSTMARK_SPAM_COMPLAINT = {
    "RecordType": "SpamComplaint",
    "MessageStream": "outbound",
    "ID": 42,
    "Type": "SpamComplaint",
    "TypeCode": 512,
    "Name": "Spam complaint",
    "Tag": "Test",
    "MessageID": "00000000-0000-0000-0000-000000000000",
    "Metadata": {"a_key": "a_value", "b_key": "b_value"},
    "ServerID": 1234,
    "Description": "",
    "Details": "Test spam complaint details",
    "Email": "john@example.com",
    "From": "sender@example.com",
    "BouncedAt": "2019-11-05T16:33:54.9070259Z",
    "DumpAvailable": True,
    "Inactive": True,
    "CanActivate": False,
    "Subject": "Test subject",
    "Content": "<Abuse report dump>",
}


def test_postmark_subscription_change_and_spam_complaint_opt_out(client) -> None:
    conn = connection(EspProvider.POSTMARK, basic_auth=BASIC)

    for payload in (POSTMARK_SUBSCRIPTION_CHANGE, POSTMARK_SPAM_COMPLAINT):
        response = client.post(
            f"/esp/{conn.uuid}/",
            json.dumps(payload),
            content_type="application/json",
            **basic_auth(),
        )
        assert response.status_code == 200

    assert suppressed(conn) == {"bounced-address@wildbit.com", "john@example.com"}
    changed_at = ConsentEvent.objects.get(contact__address="bounced-address@wildbit.com")
    assert changed_at.occurred_at == datetime(2020, 2, 1, 10, 53, 34, 416071, tzinfo=UTC)


def test_postmark_resubscribe_change_does_not_opt_out(client) -> None:
    conn = connection(EspProvider.POSTMARK, basic_auth=BASIC)
    payload = {**POSTMARK_SUBSCRIPTION_CHANGE, "SuppressSending": False}

    response = client.post(
        f"/esp/{conn.uuid}/", json.dumps(payload), content_type="application/json", **basic_auth()
    )

    assert response.status_code == 200
    assert not Suppression.objects.exists()


def test_a_repeated_webhook_keeps_one_suppression(client) -> None:
    conn = connection(EspProvider.POSTMARK, basic_auth=BASIC)
    body = json.dumps(POSTMARK_SPAM_COMPLAINT)

    for _ in range(2):
        client.post(f"/esp/{conn.uuid}/", body, content_type="application/json", **basic_auth())

    assert Suppression.objects.count() == 1
    assert list(ConsentEvent.objects.values_list("changed", flat=True)) == [False, True]


def test_an_unknown_or_inactive_connection_is_not_found(client) -> None:
    conn = connection(EspProvider.POSTMARK, basic_auth=BASIC)
    conn.active = False
    conn.save()

    inactive = client.post(f"/esp/{conn.uuid}/", "{}", content_type="application/json")
    unknown = client.post(
        "/esp/00000000-0000-0000-0000-000000000000/", "{}", content_type="application/json"
    )

    assert (inactive.status_code, unknown.status_code) == (404, 404)


def test_a_get_changes_nothing(client) -> None:
    conn = connection(EspProvider.POSTMARK, basic_auth=BASIC)

    assert client.get(f"/esp/{conn.uuid}/").status_code == 405


def test_an_sns_subscription_confirmation_is_logged_for_the_marketer_not_confirmed(
    client, caplog
) -> None:
    conn = connection(EspProvider.AMAZON_SES, basic_auth=BASIC)
    message = {
        "Type": "SubscriptionConfirmation",
        "MessageId": "165545c9-2a5c-472c-8df2-7ff2be2b3b1b",
        "Token": "2336412f37",
        "TopicArn": TOPIC,
        "Message": "You have chosen to subscribe to the topic.",
        "SubscribeURL": "https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription&Token=2336412f37",
        "Timestamp": "2012-04-26T20:45:04.751Z",
    }

    response = client.post(
        f"/esp/{conn.uuid}/",
        json.dumps(message),
        content_type="text/plain",
        HTTP_X_AMZ_SNS_MESSAGE_TYPE="SubscriptionConfirmation",
        HTTP_X_AMZ_SNS_MESSAGE_ID=message["MessageId"],
        **basic_auth(),
    )

    assert response.status_code == 200
    assert "Action=ConfirmSubscription" in caplog.text
    assert not Suppression.objects.exists()
