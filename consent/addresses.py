"""Email addresses as Optout stores them: normalized, with their MD5 and SHA-256."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext_lazy as _

from lists.errors import OptoutError

HEX_MD5 = re.compile(r"^[0-9a-f]{32}$")
HEX_SHA256 = re.compile(r"^[0-9a-f]{64}$")


class InvalidAddress(OptoutError):
    code = "invalid_address"
    message = _("This is not a valid email address.")


@dataclass(frozen=True)
class Address:
    normalized: str
    md5: str
    sha256: str


def normalize_address(raw: str) -> str:
    """Trim, lowercase, and spell an internationalized domain in punycode.

    Raises InvalidAddress for anything that is not one well-formed address.
    """
    text = raw.strip().strip("<>").strip()
    local, sep, domain = text.rpartition("@")
    if not sep or not local or not domain or len(text) > 320:
        raise InvalidAddress
    try:
        ascii_domain = domain.rstrip(".").encode("idna").decode("ascii")
    except UnicodeError as exc:
        raise InvalidAddress from exc
    address = f"{local}@{ascii_domain}".lower()
    try:
        validate_email(address)
    except ValidationError as exc:
        raise InvalidAddress from exc
    return address


def address_hashes(normalized: str) -> tuple[str, str]:
    """MD5 and SHA-256 (hex) of a normalized address, without building an Address.

    Bulk imports call this a million times; `hash_address` wraps it for everyone else.
    """
    data = normalized.encode()
    return hashlib.md5(data, usedforsecurity=False).hexdigest(), hashlib.sha256(data).hexdigest()


def hash_address(normalized: str) -> Address:
    md5, sha256 = address_hashes(normalized)
    return Address(normalized=normalized, md5=md5, sha256=sha256)


def parse_address(raw: str) -> Address:
    return hash_address(normalize_address(raw))
