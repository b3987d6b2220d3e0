"""Where a consent change came from: the source, and the request's anonymized traces."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.http import HttpRequest
from django.utils import timezone

from consent.models import Source
from lists.models import Mailer
from lists.networks import anonymize_ip, client_ip

USER_AGENT_MAX = 500


@dataclass(frozen=True)
class Origin:
    source: Source
    ip: str | None = None  # already anonymized
    user_agent: str = ""
    request_id: str = ""
    mailer: Mailer | None = None
    reason: str = ""
    occurred_at: datetime | None = None
    detail: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_request(
        cls,
        request: HttpRequest,
        *,
        source: Source,
        mailer: Mailer | None = None,
        reason: str = "",
        detail: dict[str, Any] | None = None,
    ) -> Origin:
        return cls(
            source=source,
            ip=anonymize_ip(client_ip(request)),
            user_agent=request.META.get("HTTP_USER_AGENT", "")[:USER_AGENT_MAX],
            request_id=request_id(request),
            mailer=mailer,
            reason=reason,
            detail=detail or {},
        )

    def time(self) -> datetime:
        return self.occurred_at or timezone.now()


def request_id(request: HttpRequest) -> str:
    """The id RequestIdMiddleware gave this request (one made up if it did not run)."""
    value = getattr(request, "request_id", "")
    if not value:
        value = uuid.uuid4().hex
        request.request_id = value  # type: ignore[attr-defined]  # set once, read by logs
    return str(value)
