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
        found.update((c.sha256, c) for c in Contact.objects.filter(sha256__in=part))
    missing = [wanted[sha] for sha in wanted if sha not in found]
    if missing:
        Contact.objects.bulk_create(
            [Contact(address=a.normalized, md5=a.md5, sha256=a.sha256) for a in missing],
            batch_size=500,
            ignore_conflicts=True,
        )
        for part in _chunks([a.sha256 for a in missing], size):
            found.update((c.sha256, c) for c in Contact.objects.filter(sha256__in=part))
    return found
