"""Unsubscribe and complaint webhooks from ESPs still in use (continuous sync).

Each `EspConnection` has its own URL (`/esp/<uuid>/`) and secrets. django-anymail's tracking
views check the provider's authentication (basic auth, Mailgun's HMAC, SendGrid's ECDSA
signature, the SNS headers) and normalize the payload; the consent service records the
`unsubscribed` and `complained` events. Everything else (deliveries, opens, bounces) is
acknowledged and dropped: it is not consent.
"""

from __future__ import annotations

import json
import logging
import warnings
from uuid import UUID

from anymail.exceptions import (
    AnymailNotSupportedWarning,
    AnymailWebhookValidationFailure,
)
from anymail.signals import EventType
from anymail.webhooks.amazon_ses import AmazonSESTrackingWebhookView
from anymail.webhooks.base import AnymailBaseWebhookView, AnymailCoreWebhookView
from anymail.webhooks.brevo import BrevoTrackingWebhookView
from anymail.webhooks.mailgun import MailgunTrackingWebhookView
from anymail.webhooks.postmark import PostmarkTrackingWebhookView
from anymail.webhooks.sendgrid import SendGridTrackingWebhookView
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from consent.models import EspConnection, EspProvider
from consent.origins import request_id
from consent.services.esp import EspOptOut, record_esp_opt_outs

logger = logging.getLogger(__name__)

# anymail warns on every SendGrid view it builds; we build one per request.
warnings.filterwarnings("ignore", category=AnymailNotSupportedWarning)


class AmazonSesView(AmazonSESTrackingWebhookView):
    """anymail's SES view without boto3, which it needs only to auto-confirm subscriptions.

    We never auto-confirm: the marketer confirms the SNS subscription (SubscribeURL).
    """

    def __init__(self, **kwargs: object) -> None:
        self.auto_confirm_enabled = False
        self.session_params: dict[str, object] = {}
        self.client_params: dict[str, object] = {}
        AnymailBaseWebhookView.__init__(self, **kwargs)


VIEWS: dict[str, type[AnymailCoreWebhookView]] = {
    EspProvider.SENDGRID: SendGridTrackingWebhookView,
    EspProvider.MAILGUN: MailgunTrackingWebhookView,
    EspProvider.AMAZON_SES: AmazonSesView,
    EspProvider.BREVO: BrevoTrackingWebhookView,
    EspProvider.POSTMARK: PostmarkTrackingWebhookView,
}
OPT_OUT_EVENTS = {EventType.UNSUBSCRIBED, EventType.COMPLAINED}


def _anymail_view(connection: EspConnection) -> AnymailCoreWebhookView:
    """anymail's view for this provider, configured with this connection's secrets."""
    options: dict[str, object] = {
        "webhook_secret": [connection.basic_auth] if connection.basic_auth else []
    }
    if connection.provider == EspProvider.MAILGUN:
        options["webhook_signing_key"] = connection.signing_key
    elif connection.provider == EspProvider.SENDGRID:
        options["tracking_webhook_verification_key"] = connection.signing_key or None
    with warnings.catch_warnings():
        # No basic auth is fine where a signature is checked; the model demands one or both.
        warnings.simplefilter("ignore")
        return VIEWS[connection.provider](**options)


def _sns_topic_mismatch(connection: EspConnection, request: HttpRequest) -> bool:
    if connection.provider != EspProvider.AMAZON_SES or not connection.sns_topic_arn:
        return False
    topic = request.headers.get("x-amz-sns-topic-arn", "")
    return topic != connection.sns_topic_arn


@csrf_exempt  # ESPs post server to server, without cookies; their signature is the proof.
@require_POST
def esp_webhook(request: HttpRequest, connection_uuid: UUID) -> HttpResponse:
    connection = (
        EspConnection.objects.select_related("mailing_list")
        .filter(uuid=connection_uuid, active=True)
        .first()
    )
    if connection is None:
        return HttpResponse(status=404)
    view = _anymail_view(connection)
    if connection.provider == EspProvider.AMAZON_SES and not request.headers.get("Authorization"):
        # SNS sends credentials only after a 401 challenge.
        response = HttpResponse(status=401)
        response["WWW-Authenticate"] = 'Basic realm="Optout ESP webhook"'
        return response
    try:
        view.run_validators(request)
    except AnymailWebhookValidationFailure:
        logger.warning("ESP webhook for connection %s failed authentication", connection.pk)
        return HttpResponse(status=400)
    if _sns_topic_mismatch(connection, request):
        logger.warning("ESP webhook for connection %s came from another SNS topic", connection.pk)
        return HttpResponse(status=400)
    if request.headers.get("x-amz-sns-message-type") == "SubscriptionConfirmation":
        # Confirming is the marketer's act: the log names the URL to open, once.
        subscribe_url = json.loads(request.body).get("SubscribeURL", "")
        logger.warning(
            "SNS asks to confirm ESP connection %s: open %s", connection.pk, subscribe_url
        )
    events = view.parse_events(request)
    opt_outs = [
        EspOptOut(
            address=event.recipient,
            reason=event.event_type,
            occurred_at=event.timestamp,
            event_id=str(event.event_id or ""),
        )
        for event in events
        if event.event_type in OPT_OUT_EVENTS and event.recipient
    ]
    if opt_outs:
        record_esp_opt_outs(
            connection=connection, opt_outs=opt_outs, request_id=request_id(request)
        )
    return HttpResponse()
