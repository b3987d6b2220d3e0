"""Mailer API keys: issued once in clear, stored hashed, found by their visible prefix."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import cast

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from lists.models import Mailer, MailerApiKey

logger = logging.getLogger(__name__)

KEY_SCHEME = "Api-Key"


@transaction.atomic
def issue_api_key(*, mailer: Mailer, name: str) -> tuple[MailerApiKey, str]:
    """A new key for `mailer`. The clear key is returned here once and never stored."""
    created, clear = MailerApiKey.objects.create_key(mailer=mailer, name=name)
    api_key = cast(MailerApiKey, created)  # the library's manager is typed for its base class
    logger.info("API key issued", extra={"mailer": mailer.pk, "prefix": api_key.prefix})
    return api_key, clear


def revoke_api_key(*, api_key: MailerApiKey) -> bool:
    """Revoke for good (the library refuses un-revoking). False if it already was."""
    revoked = MailerApiKey.objects.filter(pk=api_key.pk, revoked=False).update(revoked=True)
    if revoked:
        api_key.revoked = True
        logger.info(
            "API key revoked", extra={"mailer": api_key.mailer_id, "prefix": api_key.prefix}
        )
    return bool(revoked)


def key_for(clear: str) -> MailerApiKey | None:
    """The usable key `clear` stands for, or None (unknown, wrong secret, revoked, expired).

    The prefix finds the row; the library compares the hash in constant time.
    """
    clear = clear.strip()
    if not clear or "." not in clear or len(clear) > 200:
        return None
    prefix = clear.partition(".")[0]
    api_key = (
        MailerApiKey.objects.select_related("mailer")
        .filter(Q(expiry_date=None) | Q(expiry_date__gt=timezone.now()))
        .filter(prefix=prefix, revoked=False)
        .first()
    )
    if api_key is None or not api_key.is_valid(clear):
        return None
    _touch(api_key)
    return api_key


def _touch(api_key: MailerApiKey) -> None:
    """Record use, at most once a minute per key, so a busy key does not write per request."""
    now = timezone.now()
    stale = now - timedelta(seconds=settings.OPTOUT_API_KEY_TOUCH_SECONDS)
    if api_key.last_used_at is not None and api_key.last_used_at > stale:
        return
    MailerApiKey.objects.filter(pk=api_key.pk).filter(
        Q(last_used_at=None) | Q(last_used_at__lte=stale)
    ).update(last_used_at=now)
    api_key.last_used_at = now
