"""Signed subscriber tokens: ids only, never an address; short enough for a mail header.

A token reads `<contact>-<list>[-<mailer>].<signature>`: ids in base 36, then a truncated
HMAC in lowercase base 32, so it survives case-folding MTAs, URL paths and the local part
of `unsubscribe+<token>@domain`. Django's Signer supplies the salt and the key rotation
(`SECRET_KEY_FALLBACKS`); each purpose has its own salt.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from uuid import UUID

from django.core import signing
from django.utils.crypto import salted_hmac

from consent.linkcrypto import landing_page_url
from consent.models import Contact
from consent.statements import read_claim
from lists.models import Mailer, MailingList
from lists.selectors import HAS_WEBHOOKS
from lists.services import RecipientLinks, recipient_links

logger = logging.getLogger(__name__)

SUBSCRIBER_SALT = "optout.consent.subscriber"
SIGNATURE_BYTES = 16  # 128 bits: forgery stays infeasible, the token stays short.


class CompactSigner(signing.Signer):
    def signature(self, value: bytes | str, key: bytes | str | None = None) -> str:
        key = key or self.key
        salt = self.salt.decode() if isinstance(self.salt, bytes) else self.salt
        salt = f"{salt}signer"
        digest = salted_hmac(salt, value, key, algorithm="sha256").digest()
        return base64.b32encode(digest[:SIGNATURE_BYTES]).decode().rstrip("=").lower()


def _signer(salt: str) -> CompactSigner:
    return CompactSigner(sep=".", salt=salt, algorithm="sha256")


def _b36(number: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    text = ""
    while True:
        number, rest = divmod(number, 36)
        text = digits[rest] + text
        if number == 0:
            return text


@dataclass(frozen=True)
class TokenClaim:
    contact: Contact
    mailing_list: MailingList
    mailer: Mailer | None


def make_token(*, contact: Contact, mailing_list: MailingList, mailer: Mailer | None = None) -> str:
    ids = [contact.pk, mailing_list.pk] + ([mailer.pk] if mailer is not None else [])
    return _signer(SUBSCRIBER_SALT).sign("-".join(_b36(number) for number in ids))


def unsign_ids(token: str) -> tuple[int, ...] | None:
    """The ids a token carries, or None when it is forged, truncated or malformed."""
    try:
        value = _signer(SUBSCRIBER_SALT).unsign(token.strip().lower())
    except signing.BadSignature:
        return None
    try:
        ids = tuple(int(part, 36) for part in value.split("-"))
    except ValueError:
        return None
    return ids if len(ids) in (2, 3) else None


def read_token(token: str, *, list_uuid: UUID | str | None = None) -> TokenClaim | None:
    """Resolve a token to its contact, list and mailer; None for anything not genuine.

    With `list_uuid`, a token of another list is foreign and resolves to None too. One
    query: one-click runs through here on every request.

    The same query tells whether the list's team has an active webhook endpoint (set on the
    list as `HAS_WEBHOOKS`), so an opt-out of a team without one skips the endpoint lookup.
    A mailer whose access was revoked (or who was deleted) after sending still has its
    recipients' opt-outs honoured: the event then has no mailer.
    """
    ids = unsign_ids(token)
    if ids is None:
        logger.info("Rejected subscriber token (bad signature or shape)")
        return None
    contact_id, list_id, *rest = ids
    found = read_claim(contact_id=contact_id, list_id=list_id, mailer_id=rest[0] if rest else None)
    if found is None:
        logger.info("Subscriber token for a contact or list that no longer exists")
        return None
    contact, mailing_list, mailer, has_webhooks = found
    if list_uuid is not None and str(mailing_list.uuid) != str(list_uuid):
        logger.info("Rejected subscriber token for another list", extra={"list": list_id})
        return None
    setattr(mailing_list, HAS_WEBHOOKS, has_webhooks)
    return TokenClaim(contact=contact, mailing_list=mailing_list, mailer=mailer)


def links_for(
    *,
    contact: Contact,
    mailing_list: MailingList,
    mailer: Mailer | None = None,
    campaign: Mapping[str, object] | None = None,
) -> RecipientLinks:
    """Every link and header value for one recipient, signed for this contact and list.

    A list with a landing page gets that page as its unsubscribe link, with encrypted
    `params`/`pid` naming the recipient, the mailer and the `campaign` fields.
    Raises InvalidCampaignFields for campaign fields over the limits.
    """
    return recipient_links(
        mailing_list=mailing_list,
        token=make_token(contact=contact, mailing_list=mailing_list, mailer=mailer),
        landing_page=landing_page_url(
            contact=contact, mailing_list=mailing_list, mailer=mailer, campaign=campaign
        ),
    )
