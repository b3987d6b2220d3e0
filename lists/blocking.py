"""Addresses that keep calling from outside every allowlist get blocked for a while.

Refusals are counted in the shared cache (every web process sees the same counters); a
block is a cache entry, checked on every API request, plus a `BlockedClient` row so that
marketers see it in admin and can lift it early.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.cache import cache
from django.utils import timezone

from lists.errors import ClientBlocked, IpNotAllowed
from lists.models import BlockedClient, Mailer

logger = logging.getLogger(__name__)


def _refusals_key(ip: str) -> str:
    return f"optout:refusals:{ip}"


def _block_key(ip: str) -> str:
    return f"optout:blocked:{ip}"


def check_not_blocked(*, ip: str) -> None:
    """Raise ClientBlocked while `ip` is blocked."""
    until = cache.get(_block_key(ip))
    if until is None:
        return
    remaining = int((until - timezone.now()).total_seconds())
    if remaining > 0:
        raise ClientBlocked(ip=ip, retry_after=remaining)


def refuse_client(*, ip: str, mailer: Mailer) -> IpNotAllowed | ClientBlocked:
    """Count one refusal of `ip`; block it once it reached the limit within the window.

    Returns the error to raise: 403 while the address may still try, 429 once blocked.
    """
    window = settings.OPTOUT_REFUSAL_WINDOW_MINUTES * 60
    key = _refusals_key(ip)
    # add() is a no-op when the counter exists, so the window starts at the first refusal.
    cache.add(key, 0, timeout=window)
    try:
        refusals = cache.incr(key)
    except ValueError:  # expired between add() and incr()
        cache.set(key, 1, timeout=window)
        refusals = 1
    logger.warning(
        "API request refused: address outside the allowlist",
        extra={"ip": ip, "mailer": mailer.pk, "refusals": refusals},
    )
    if refusals < settings.OPTOUT_REFUSALS_BEFORE_BLOCK:
        return IpNotAllowed(ip=ip)
    return block_client(ip=ip, mailer=mailer, refusals=refusals)


def block_client(*, ip: str, mailer: Mailer | None, refusals: int) -> ClientBlocked:
    minutes = settings.OPTOUT_BLOCK_MINUTES
    now = timezone.now()
    until = now + timedelta(minutes=minutes)
    cache.set(_block_key(ip), until, timeout=minutes * 60)
    cache.delete(_refusals_key(ip))
    BlockedClient.objects.create(
        ip=ip, mailer=mailer, refusals=refusals, blocked_at=now, blocked_until=until
    )
    logger.warning(
        "API client blocked after repeated refusals",
        extra={"ip": ip, "mailer": mailer.pk if mailer else None, "minutes": minutes},
    )
    return ClientBlocked(ip=ip, retry_after=minutes * 60)


def unblock_client(*, block: BlockedClient, user: AbstractBaseUser | AnonymousUser | None) -> bool:
    """Lift a block now. Returns False when it was already lifted or over."""
    cache.delete_many([_block_key(block.ip), _refusals_key(block.ip)])
    if block.lifted_at is not None:
        return False
    lifted_by = user if isinstance(user, AbstractBaseUser) else None
    was_active = block.active
    BlockedClient.objects.filter(pk=block.pk, lifted_at=None).update(
        lifted_at=timezone.now(), lifted_by=lifted_by
    )
    logger.info("API client unblocked", extra={"ip": block.ip, "block": block.pk})
    return was_active
