"""Template helpers of the compliance pages."""

from __future__ import annotations

import json
from datetime import timedelta

from django import template

register = template.Library()


@register.filter
def as_json(value: object) -> str:
    """Pretty JSON for a <pre> block (autoescaped by the template)."""
    return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False)


@register.filter
def hours(value: timedelta | None) -> str:
    """A duration in whole hours, for deadlines and delays."""
    if value is None:
        return ""
    return str(int(value.total_seconds() // 3600))
