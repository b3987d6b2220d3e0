"""Contacts for many addresses at once: one lookup per chunk, one insert for the new ones."""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings

from consent.addresses import Address
from consent.models import Contact


def _chunks(items: list[str], size: int) -> Iterable[list[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def contacts_for_addresses(*, addresses: Iterable[Address]) -> dict[str, Contact]:
    """The contact of each parsed address, keyed by SHA-256; missing ones are created.

    Concurrent requests may create the same contacts: the inserts ignore the unique
    conflicts and the second read returns whichever row won.
    """
    wanted = {address.sha256: address for address in addresses}
    size = settings.OPTOUT_LOOKUP_CHUNK_ROWS
    found: dict[str, Contact] = {}
    for part in _chunks(list(wanted), size):
        found.update(_by_sha256(Contact.objects.filter(sha256__in=part)))
    missing = [wanted[sha] for sha in wanted if sha not in found]
    if missing:
        # Contacts known so far by an imported MD5 only: these are their addresses.
        by_md5 = {a.md5: a for a in missing}
        for part in _chunks(list(by_md5), size):
            for contact in Contact.objects.filter(md5__in=part, sha256=None):
                address = by_md5[contact.md5]
                Contact.objects.filter(pk=contact.pk, sha256=None).update(
                    address=address.normalized, sha256=address.sha256
                )
        Contact.objects.bulk_create(
            [Contact(address=a.normalized, md5=a.md5, sha256=a.sha256) for a in missing],
            batch_size=500,
            ignore_conflicts=True,
        )
        for part in _chunks([a.sha256 for a in missing], size):
            found.update(_by_sha256(Contact.objects.filter(sha256__in=part)))
    return found


def _by_sha256(contacts: Iterable[Contact]) -> Iterable[tuple[str, Contact]]:
    return ((c.sha256, c) for c in contacts if c.sha256 is not None)
