"""Mailto unsubscribes: a mail to `unsubscribe+<token>@<domain>` opts the recipient out.

The token comes from the recipient address (the envelope, then Delivered-To, X-Original-To,
To, Cc), else from the subject, else from the plain-text body. Auto-replies, delivery
reports and forged tokens are ignored and logged (never with an address): an out-of-office
answer to a newsletter must not unsubscribe anyone.

Mail to a journey integration's address (`unsubscribe+journey-<key>@<domain>`) carries the
platform's encrypted `emailParams` instead of a token: after the same filters it is stored
for decryption by `consent.services.journey`, which records the opt-out later.
"""

from __future__ import annotations

import enum
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import getaddresses

from django.conf import settings

from consent.models import Source
from consent.origins import Origin
from consent.services.core import unsubscribe
from consent.services.journey import (
    find_email_params,
    integration_for_recipient,
    receive_journey_mail,
)
from consent.tokens import read_token
from lists.models import JourneyIntegration
from lists.services import mailto_domain

logger = logging.getLogger(__name__)

# `<contact>-<list>[-<mailer>].<signature>`: base 36 ids, then 26 base 32 characters.
TOKEN = re.compile(r"(?<![0-9a-z.-])([0-9a-z]+(?:-[0-9a-z]+){1,2}\.[a-z2-7]{26})(?![0-9a-z])")
AUTO_PRECEDENCE = {"auto_reply", "bulk", "junk"}
VACATION_SUBJECT = re.compile(
    r"^\s*(?:auto(?:matic)?[\s_-]*(?:reply|response|antwort)|autoreply|auto:|"
    r"out of (?:the )?office|ooo\b|vacation|on leave|abwesenheit|"
    r"r[ée]ponse automatique|absence|respuesta autom[áa]tica|fuera de la oficina)",
    re.IGNORECASE,
)
REPORT_SENDERS = re.compile(r"^(?:mailer-daemon|postmaster)@", re.IGNORECASE)
BODY_SCAN = 64 * 1024


class MailtoOutcome(enum.Enum):
    UNSUBSCRIBED = "unsubscribed"
    JOURNEY_RECEIVED = "journey_received"  # stored; the opt-out follows its decryption
    AUTO_REPLY = "auto_reply"
    DELIVERY_REPORT = "delivery_report"
    NO_TOKEN = "no_token"  # noqa: S105  # an outcome, not a secret
    FORGED_TOKEN = "forged_token"  # noqa: S105  # an outcome, not a secret
    UNREADABLE = "unreadable"


@dataclass(frozen=True)
class MailtoResult:
    outcome: MailtoOutcome
    changed: bool = False
    found_in: str = ""  # recipient, subject or body: where the token or emailParams was

    @property
    def unsubscribed(self) -> bool:
        return self.outcome is MailtoOutcome.UNSUBSCRIBED


def accepts_recipient(address: str) -> bool:
    """Is this one of our unsubscribe addresses? The SMTP server refuses anything else."""
    local, _, domain = address.strip().strip("<>").rpartition("@")
    expected_domain = mailto_domain().lower()
    prefix = f"{settings.OPTOUT_MAILTO_LOCAL_PART}+".lower()
    return (
        bool(expected_domain)
        and domain.lower().rstrip(".") == expected_domain
        and local.lower().startswith(prefix)
        and len(local) > len(prefix)
    )


def _is_delivery_report(message: EmailMessage, envelope_sender: str | None) -> bool:
    if message.get_content_type() == "multipart/report":
        return True
    if envelope_sender is not None and envelope_sender.strip("<> ") == "":
        return True  # RFC 5321: bounces travel with a null reverse path
    return_path = message.get("Return-Path")
    if return_path is not None and str(return_path).strip().strip("<>").strip() == "":
        return True
    senders = [address for _, address in getaddresses([str(message.get("From", ""))])]
    return any(REPORT_SENDERS.match(address) for address in senders)


def _is_auto_reply(message: EmailMessage) -> bool:
    auto_submitted = str(message.get("Auto-Submitted", "")).split(";")[0].strip().lower()
    if auto_submitted and auto_submitted != "no":
        return True
    if message.get("X-Autoreply") is not None or message.get("X-Autorespond") is not None:
        return True
    if str(message.get("Precedence", "")).strip().lower() in AUTO_PRECEDENCE:
        return True
    return bool(VACATION_SUBJECT.match(str(message.get("Subject", ""))))


def _recipient_headers(message: EmailMessage) -> list[str]:
    return [
        str(value)
        for name in ("Delivered-To", "X-Original-To", "To", "Cc")
        for value in message.get_all(name, [])
    ]


def _journey_recipient(addresses: Iterable[str]) -> tuple[JourneyIntegration, str] | None:
    """The first recipient that is an active journey integration's mailto address."""
    for _, address in getaddresses(list(addresses)):
        integration = integration_for_recipient(address)
        if integration is not None:
            return integration, address
    return None


def _recipient_tokens(addresses: Iterable[str]) -> list[str]:
    prefix = f"{settings.OPTOUT_MAILTO_LOCAL_PART}+".lower()
    tokens = []
    for _, address in getaddresses(list(addresses)):
        local = address.rpartition("@")[0].lower()
        if local.startswith(prefix):
            tokens.append(local[len(prefix) :])
    return tokens


def _body_text(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    try:
        content = part.get_content()
    except (LookupError, UnicodeError, AttributeError):
        return ""
    return str(content)[:BODY_SCAN]


def _candidates(message: EmailMessage, recipients: Iterable[str]) -> list[tuple[str, str]]:
    headers = _recipient_headers(message)
    found = [("recipient", token) for token in _recipient_tokens([*recipients, *headers])]
    found += [("subject", m) for m in TOKEN.findall(str(message.get("Subject", "")).lower())]
    found += [("body", m) for m in TOKEN.findall(_body_text(message).lower())]
    return found


def process_mailto(
    raw: bytes, *, recipients: Iterable[str] = (), envelope_sender: str | None = None
) -> MailtoResult:
    """Act on one RFC 5322 message. `recipients` and `envelope_sender` come from SMTP."""
    try:
        message = BytesParser(policy=policy.default).parsebytes(raw)
    except (ValueError, TypeError, LookupError):
        logger.info("Mailto: unreadable message ignored")
        return MailtoResult(outcome=MailtoOutcome.UNREADABLE)
    assert isinstance(message, EmailMessage)  # noqa: S101  # policy.default builds these
    if _is_delivery_report(message, envelope_sender):
        logger.info("Mailto: delivery report ignored")
        return MailtoResult(outcome=MailtoOutcome.DELIVERY_REPORT)
    if _is_auto_reply(message):
        logger.info("Mailto: auto-reply ignored")
        return MailtoResult(outcome=MailtoOutcome.AUTO_REPLY)
    recipients = list(recipients)
    journey = _journey_recipient([*recipients, *_recipient_headers(message)])
    if journey is not None:
        return _receive_journey_mail(message, *journey)
    return _unsubscribe_by_token(message, _candidates(message, recipients))


def _unsubscribe_by_token(message: EmailMessage, candidates: list[tuple[str, str]]) -> MailtoResult:
    if not candidates:
        logger.info("Mailto: message without a token ignored")
        return MailtoResult(outcome=MailtoOutcome.NO_TOKEN)
    for found_in, token in candidates:
        claim = read_token(token)
        if claim is None:
            continue
        origin = Origin(
            source=Source.MAILTO,
            mailer=claim.mailer,
            request_id=str(message.get("Message-ID", ""))[:64],
            detail={"token_in": found_in},
        )
        outcome = unsubscribe(contact=claim.contact, mailing_list=claim.mailing_list, origin=origin)
        logger.info("Mailto: opt-out of list %s (token in the %s)", claim.mailing_list.pk, found_in)
        return MailtoResult(
            outcome=MailtoOutcome.UNSUBSCRIBED, changed=outcome.changed, found_in=found_in
        )
    logger.warning("Mailto: forged or unknown token ignored (%d candidates)", len(candidates))
    return MailtoResult(outcome=MailtoOutcome.FORGED_TOKEN)


def _receive_journey_mail(
    message: EmailMessage, integration: JourneyIntegration, recipient: str
) -> MailtoResult:
    places = (
        ("subject", str(message.get("Subject", ""))),
        ("body", _body_text(message)),
        ("recipient", recipient),
    )
    found = next(
        ((place, params) for place, text in places if (params := find_email_params(text))),
        None,
    )
    if found is None:
        logger.info("Mailto: mail to journey integration %s without emailParams", integration.pk)
        return MailtoResult(outcome=MailtoOutcome.NO_TOKEN)
    found_in, email_params = found
    origin = Origin(
        source=Source.JOURNEY_PLATFORM,
        request_id=str(message.get("Message-ID", ""))[:64],
    )
    receive_journey_mail(integration=integration, email_params=email_params, origin=origin)
    logger.info("Mailto: emailParams for journey integration %s stored", integration.pk)
    # Nothing has changed yet: the opt-out is recorded once the platform decrypts the params.
    return MailtoResult(outcome=MailtoOutcome.JOURNEY_RECEIVED, found_in=found_in)
