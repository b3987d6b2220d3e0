"""Our own encrypted link parameters: `?params=…&pid=…` for a brand's landing page.

The pattern journey platforms use, the other way round: a list may send subscribers to the
brand's own unsubscribe page; Optout's links carry two opaque values that only Optout can
read (Fernet: AES-CBC and HMAC-SHA256, so authenticated and encrypted), and the page asks
`GET /api/v1/decrypt/` what they mean, in the platform's decrypt response shape.

`pid` names the contact, `params` the list, the mailer and the campaign fields; both are
bound to the list, and each carries its kind, so neither can stand in for the other. No
address travels in them. Keys come from `OPTOUT_LINK_KEYS` (newest first; all decrypt),
else from `SECRET_KEY` and its fallbacks, so rotating either keeps old links working.
"""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from consent.models import Contact
from lists.errors import OptoutError
from lists.models import ConsentLevel, Mailer, MailingList
from lists.services import landing_page_link

logger = logging.getLogger(__name__)

VERSION = 1
KIND_PARAMS = "params"
KIND_PID = "pid"
CAMPAIGN_FIELDS_MAX = 10
CAMPAIGN_KEY_MAX = 40
CAMPAIGN_VALUE_MAX = 200
_HKDF_SALT = b"optout.consent.linkcrypto"
_SECONDS_PER_DAY = 86400


class InvalidLinkParams(OptoutError):
    """Forged, foreign, expired or unknown: one error for all, so nothing is revealed."""

    code = "invalid_link_params"
    # 404, as for a list a key may not use: a well-formed pair that is not ours is not found.
    http_status = 404
    message = _("params and pid are not a valid pair.")


class InvalidCampaignFields(OptoutError):
    code = "invalid_campaign_fields"
    http_status = 400
    message = _(
        "Campaign fields: at most 10, names up to 40 characters, values up to 200 characters."
    )


@dataclass(frozen=True)
class LinkParams:
    params: str
    pid: str


@dataclass(frozen=True)
class LinkClaim:
    contact: Contact
    mailing_list: MailingList
    mailer: Mailer | None
    campaign: dict[str, str] = field(default_factory=dict)


def _fernet_key(secret: str) -> bytes:
    # Each secret (possibly SECRET_KEY itself) is stretched into a key of its own purpose,
    # so these links never share a key with Django's signing.
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=_HKDF_SALT, info=b"fernet-v1")
    return base64.urlsafe_b64encode(derived.derive(secret.encode()))


@lru_cache(maxsize=8)
def _multi_fernet(secrets: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(_fernet_key(secret)) for secret in secrets])


def _cipher() -> MultiFernet:
    secrets = tuple(settings.OPTOUT_LINK_KEYS) or (
        settings.SECRET_KEY,
        *settings.SECRET_KEY_FALLBACKS,
    )
    return _multi_fernet(secrets)


def _encrypt(payload: Mapping[str, object]) -> str:
    data = json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()
    # Fernet's alphabet is URL-safe base 64, padded; the padding is put back on reading.
    return _cipher().encrypt(data).decode().rstrip("=")


def _decrypt(value: str, *, kind: str) -> dict[str, object] | None:
    text = value.strip()
    max_age = settings.OPTOUT_LINK_MAX_AGE_DAYS * _SECONDS_PER_DAY or None
    try:
        data = _cipher().decrypt((text + "=" * (-len(text) % 4)).encode(), ttl=max_age)
        payload = json.loads(data)
    except (InvalidToken, ValueError, TypeError):
        return None
    if not isinstance(payload, dict) or payload.get("v") != VERSION or payload.get("k") != kind:
        return None
    return payload


def clean_campaign(campaign: Mapping[str, object] | None) -> dict[str, str]:
    """The campaign fields as strings; raises InvalidCampaignFields past the limits."""
    fields = {str(key): str(value) for key, value in (campaign or {}).items()}
    if len(fields) > CAMPAIGN_FIELDS_MAX or any(
        not key or len(key) > CAMPAIGN_KEY_MAX or len(value) > CAMPAIGN_VALUE_MAX
        for key, value in fields.items()
    ):
        raise InvalidCampaignFields
    return fields


def encrypt_link_params(
    *,
    contact: Contact,
    mailing_list: MailingList,
    mailer: Mailer | None = None,
    campaign: Mapping[str, object] | None = None,
) -> LinkParams:
    """The opaque `params` and `pid` of one recipient's link. Raises InvalidCampaignFields."""
    params = {
        "v": VERSION,
        "k": KIND_PARAMS,
        "l": mailing_list.pk,
        "mr": mailer.pk if mailer is not None else None,
        "c": clean_campaign(campaign),
    }
    pid = {"v": VERSION, "k": KIND_PID, "l": mailing_list.pk, "ct": contact.pk}
    return LinkParams(params=_encrypt(params), pid=_encrypt(pid))


def landing_page_url(
    *,
    contact: Contact,
    mailing_list: MailingList,
    mailer: Mailer | None = None,
    campaign: Mapping[str, object] | None = None,
) -> str | None:
    """The brand's landing page for this recipient, or None when the list has none."""
    if not mailing_list.landing_page_url:
        return None
    pair = encrypt_link_params(
        contact=contact, mailing_list=mailing_list, mailer=mailer, campaign=campaign
    )
    return landing_page_link(mailing_list=mailing_list, params=pair.params, pid=pair.pid)


def read_link_params(*, params: str, pid: str) -> LinkClaim | None:
    """What a pair stands for; None for anything forged, mismatched, expired or unknown."""
    params_payload = _decrypt(params, kind=KIND_PARAMS)
    pid_payload = _decrypt(pid, kind=KIND_PID)
    if params_payload is None or pid_payload is None:
        logger.info("Rejected link parameters (not ours, or expired)")
        return None
    if params_payload.get("l") != pid_payload.get("l"):
        logger.info("Rejected link parameters of two different lists")
        return None
    list_id, contact_id, mailer_id = (
        params_payload.get("l"),
        pid_payload.get("ct"),
        params_payload.get("mr"),
    )
    if not isinstance(list_id, int) or not isinstance(contact_id, int):
        return None
    mailing_list = MailingList.objects.filter(pk=list_id).first()
    contact = Contact.objects.filter(pk=contact_id).first()
    if mailing_list is None or contact is None:
        return None
    mailer = Mailer.objects.filter(pk=mailer_id).first() if isinstance(mailer_id, int) else None
    campaign = params_payload.get("c")
    return LinkClaim(
        contact=contact,
        mailing_list=mailing_list,
        mailer=mailer,
        campaign={str(k): str(v) for k, v in campaign.items()}
        if isinstance(campaign, dict)
        else {},
    )


def decrypt_response(claim: LinkClaim, *, now: datetime | None = None) -> dict[str, object]:
    """The claim in the journey platform's decrypt response shape, so a landing page written
    for the platform works against Optout unchanged; our own fields follow."""
    contact = claim.contact
    channel = claim.mailing_list.consent_level == ConsentLevel.CHANNEL and bool(contact.profile_key)
    moment = (now or timezone.now()).astimezone(UTC)
    response: dict[str, object] = {
        "profileNameSpace": "CRMID" if contact.profile_key else "Email_LC_SHA256",
        "profileId": contact.profile_key or contact.sha256,
        "emailAddress": contact.address or "",
        "emailNameSpace": "Email",
        "sandboxId": "",
        "optOutLevel": ConsentLevel.CHANNEL.value if channel else ConsentLevel.IDENTITY.value,
        "channelType": "email",
        "timestamp": moment.isoformat().replace("+00:00", "Z"),
        "listId": str(claim.mailing_list.uuid),
        "mailer": claim.mailer.name if claim.mailer is not None else None,
    }
    for key, value in claim.campaign.items():
        response.setdefault(key, value)  # never overwrite the documented fields
    return response


def decrypt_link_pair(
    *, params: str, pid: str, allowed_lists: Collection[int] | None = None
) -> dict[str, object]:
    """The decrypt API's answer for a pair. Raises InvalidLinkParams, the same for every
    failure, including a pair of a list the caller may not see (`allowed_lists`)."""
    claim = read_link_params(params=params, pid=pid)
    if claim is None or (allowed_lists is not None and claim.mailing_list.pk not in allowed_lists):
        raise InvalidLinkParams
    return decrypt_response(claim)
