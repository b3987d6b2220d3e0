"""Continuous sync with an ESP still in use: its unsubscribe and complaint webhooks.

The view (preferences/views/esp.py) checks the provider's signature and normalizes the
payload with django-anymail; this service records what it found, one batch per request.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction

from consent.addresses import InvalidAddress
from consent.models import EspConnection, Source
from consent.origins import Origin
from consent.services.core import contact_for_address, record_opt_out

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class EspOptOut:
    address: str
    reason: str  # "unsubscribed" or "complained", anymail's normalized event type
    occurred_at: datetime | None
    event_id: str = ""


@dataclass(frozen=True)
class EspSyncResult:
    recorded: int
    changed: int
    invalid: int


@transaction.atomic(durable=True)
def record_esp_opt_outs(
    *, connection: EspConnection, opt_outs: list[EspOptOut], request_id: str = ""
) -> EspSyncResult:
    """Opt each address out of the connection's list. ESPs resend: repeats change nothing."""
    recorded = changed = invalid = 0
    for opt_out in opt_outs:
        try:
            contact = contact_for_address(address=opt_out.address)
        except InvalidAddress:
            invalid += 1
            logger.info("ESP connection %s sent an invalid address; ignored", connection.pk)
            continue
        origin = Origin(
            source=Source.ESP_WEBHOOK,
            reason=opt_out.reason,
            occurred_at=opt_out.occurred_at,
            request_id=request_id,
            detail={
                "esp": connection.provider,
                "connection": str(connection.uuid),
                "esp_event_id": opt_out.event_id,
            },
        )
        outcome = record_opt_out(
            contact=contact, mailing_list=connection.mailing_list, origin=origin
        )
        recorded += 1
        changed += outcome.changed
    return EspSyncResult(recorded=recorded, changed=changed, invalid=invalid)
