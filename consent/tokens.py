"""Signed subscriber tokens: ids only, never an address; short enough for a mail header.

A token reads `<contact>-<list>[-<mailer>].<signature>`: ids in base 36, then a truncated
HMAC in lowercase base 32, so it survives case-folding MTAs, URL paths and the local part
of `unsubscribe+<token>@domain`. Django's Signer supplies the salt and the key rotation
(`SECRET_KEY_FALLBACKS`); each purpose has its own salt.
"""

from __future__ import annotations

import base64
import logging
from dataclasses import dataclass

from django.core import signing
from django.utils.crypto import salted_hmac

from consent.models import Contact
from lists.models import Mailer, MailingList

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


def read_token(token: str, *, list_uuid: object = None) -> TokenClaim | None:
    """Resolve a token to its contact, list and mailer; None for anything not genuine.

    With `list_uuid`, a token of another list is foreign and resolves to None too.
    """
    ids = unsign_ids(token)
    if ids is None:
        logger.info("Rejected subscriber token (bad signature or shape)")
        return None
    contact = Contact.objects.filter(pk=ids[0]).first()
    mailing_list = MailingList.objects.filter(pk=ids[1]).first()
    if contact is None or mailing_list is None:
        return None
    if list_uuid is not None and str(mailing_list.uuid) != str(list_uuid):
        logger.info("Rejected subscriber token for another list", extra={"list": ids[1]})
        return None
    mailer = Mailer.objects.filter(pk=ids[2]).first() if len(ids) == 3 else None
    return TokenClaim(contact=contact, mailing_list=mailing_list, mailer=mailer)
