"""Fixed-window rate limits with their counters in the shared cache, so every worker agrees."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured

_RATE = re.compile(r"^\s*(\d+)\s*/\s*(\d*)\s*([smhd])\w*\s*$")
_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


@dataclass(frozen=True)
class Rate:
    count: int
    seconds: int


def parse_rate(text: str) -> Rate:
    """Read "10/m", "100/h" or "5/10m" (five per ten minutes). Raises ImproperlyConfigured."""
    match = _RATE.match(text)
    if match is None or int(match[1]) < 1:
        raise ImproperlyConfigured(
            f"Rate {text!r} is not like 10/m: a positive count, a slash, then s, m, h or d."
        )
    return Rate(count=int(match[1]), seconds=int(match[2] or 1) * _SECONDS[match[3]])


def allow(*, scope: str, ident: str, rate: Rate) -> bool:
    """Count one hit for `ident` in `scope`; False once the window's allowance is spent."""
    window = int(time.time()) // rate.seconds
    key = f"optout:rate:{scope}:{ident}:{window}"
    cache.add(key, 0, timeout=rate.seconds)
    try:
        count = cache.incr(key)
    except ValueError:  # the key expired between add() and incr()
        cache.set(key, 1, timeout=rate.seconds)
        count = 1
    return count <= rate.count
