"""Talking to a journey platform: the IMS bearer token and the decrypt API (Adobe's shapes).

Network I/O only, never inside a transaction; no database writes here. Credentials and
decrypted addresses never reach a log line or an error message.
"""

from __future__ import annotations

import hashlib
import json
import logging
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.utils.translation import gettext_lazy as _

from lists.errors import OptoutError
from lists.models import JourneyIntegration

logger = logging.getLogger(__name__)

# The decrypt response's own fields; anything else it carries goes to the event detail.
CAMPAIGN_FIELDS = {
    # long names and the short keys of the documented encrypted payloads
    "campaignId": "campaign_id",
    "ci": "campaign_id",
    "journeyVersionId": "journey_version_id",
    "jv": "journey_version_id",
    "journeyActionId": "journey_action_id",
    "ja": "journey_action_id",
    "messageExecutionId": "message_execution_id",
    "m": "message_execution_id",
    "unsubscribeScope": "unsubscribe_scope",
    "us": "unsubscribe_scope",
}
DETAIL_MAX = 200


class DecryptFailed(OptoutError):
    """The platform could not be asked now (network, 5xx, 401, bad JSON): try again later."""

    code = "journey_decrypt_failed"
    http_status = 502
    message = _("The journey platform's decrypt API failed: %(reason)s")


class DecryptRejected(OptoutError):
    """The platform refused these parameters (4xx): retrying cannot help."""

    code = "journey_decrypt_rejected"
    http_status = 400
    message = _("The journey platform refused the parameters: %(reason)s")


class _Unauthorized(Exception):
    pass


@dataclass(frozen=True)
class Decrypted:
    """A decrypt response, validated. `detail` holds no address."""

    email_address: str
    profile_id: str
    profile_namespace: str
    opt_out_level: str
    detail: dict[str, str] = field(default_factory=dict)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    # A redirect would carry our bearer token to wherever it points: refuse to follow.
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_opener = urllib.request.build_opener(_NoRedirect)


def _open(request: urllib.request.Request) -> tuple[int, bytes]:
    """Send one request; the status and body, whatever the status. Raises DecryptFailed."""
    if urllib.parse.urlsplit(request.full_url).scheme not in ("http", "https"):
        raise DecryptRejected(reason="the URL must use https")
    try:
        with _opener.open(request, timeout=settings.OPTOUT_JOURNEY_TIMEOUT_SECONDS) as response:
            return int(response.status), response.read()
    except urllib.error.HTTPError as exc:
        with exc:
            return int(exc.code), exc.read()
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise DecryptFailed(reason=f"{type(exc).__name__}: {reason}"[:DETAIL_MAX]) from exc


def _token_cache_key(integration: JourneyIntegration) -> str:
    # New credentials or a new endpoint must never reuse the old token.
    fingerprint = hashlib.sha256(
        "\n".join(
            [integration.token_url, integration.client_id, integration.client_secret]
        ).encode()
    ).hexdigest()[:32]
    return f"optout:journey:token:{integration.pk}:{fingerprint}"


def bearer_token(integration: JourneyIntegration, *, refresh: bool = False) -> str:
    """An IMS access token (client credentials), cached until shortly before it expires."""
    key = _token_cache_key(integration)
    if not refresh:
        cached = cache.get(key)
        if isinstance(cached, str) and cached:
            return cached
    body = urllib.parse.urlencode(
        {
            "grant_type": "client_credentials",
            "client_id": integration.client_id,
            "client_secret": integration.client_secret,
            "scope": integration.scopes,
        }
    ).encode()
    request = urllib.request.Request(  # noqa: S310  # scheme checked in _open
        integration.token_url,
        data=body,
        method="POST",
        headers={"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"},
    )
    status, raw = _open(request)
    if status != 200:
        # 400/401 here mean wrong credentials: the marketer can fix them, so keep retrying.
        raise DecryptFailed(reason=f"token endpoint answered {status}")
    try:
        data = json.loads(raw)
        token = str(data["access_token"])
        expires_in = int(data.get("expires_in", 0))
    except (ValueError, KeyError, TypeError) as exc:
        raise DecryptFailed(reason="token endpoint answered malformed JSON") from exc
    lifetime = expires_in - settings.OPTOUT_JOURNEY_TOKEN_MARGIN_SECONDS
    if lifetime > 0:
        cache.set(key, token, timeout=lifetime)
    logger.info("Fetched a journey platform token", extra={"integration": integration.pk})
    return token


def _decrypt_request(
    integration: JourneyIntegration, *, query: dict[str, str], token: str
) -> urllib.request.Request:
    separator = "&" if urllib.parse.urlsplit(integration.decrypt_url).query else "?"
    url = f"{integration.decrypt_url}{separator}{urllib.parse.urlencode(query)}"
    headers = {
        "Accept": "application/json",
        "Authorization": f"Bearer {token}",
        "x-api-key": integration.api_key_header,
        "x-gw-ims-org-id": integration.organization_id,
    }
    if integration.sandbox:
        headers["x-sandbox-name"] = integration.sandbox
    return urllib.request.Request(url, method="GET", headers=headers)  # noqa: S310  # checked in _open


def _call_decrypt(integration: JourneyIntegration, *, query: dict[str, str], token: str) -> bytes:
    status, raw = _open(_decrypt_request(integration, query=query, token=token))
    if status == 200:
        return raw
    if status == 401:
        raise _Unauthorized
    if status == 429 or status >= 500:
        raise DecryptFailed(reason=f"decrypt API answered {status}")
    raise DecryptRejected(reason=f"decrypt API answered {status}")


def decrypt(integration: JourneyIntegration, *, query: dict[str, str]) -> Decrypted:
    """Ask the platform what `params`/`pid` (or `emailParams`) stand for.

    A 401 refreshes the token once. Raises DecryptFailed (retry later) or DecryptRejected.
    """
    try:
        raw = _call_decrypt(integration, query=query, token=bearer_token(integration))
    except _Unauthorized:
        # The cached token was revoked or expired early: one fresh token, one more try.
        token = bearer_token(integration, refresh=True)
        try:
            raw = _call_decrypt(integration, query=query, token=token)
        except _Unauthorized as exc:
            raise DecryptFailed(reason="decrypt API answered 401 with a fresh token") from exc
    return parse_decrypt_response(raw)


def _text(value: object) -> str:
    return str(value).strip() if isinstance(value, str | int) else ""


def parse_decrypt_response(raw: bytes) -> Decrypted:
    try:
        data = json.loads(raw)
    except ValueError as exc:
        raise DecryptFailed(reason="decrypt API answered malformed JSON") from exc
    if not isinstance(data, dict) or not _text(data.get("emailAddress")):
        raise DecryptFailed(reason="decrypt API answered JSON without emailAddress")
    detail = {
        "sandbox_id": _text(data.get("sandboxId")),
        "timestamp": _text(data.get("timestamp")),
        "channel_type": _text(data.get("channelType")),
        "opt_out_level": _text(data.get("optOutLevel")),
        "profile_namespace": _text(data.get("profileNameSpace")),
        "email_namespace": _text(data.get("emailNameSpace")),
    }
    for name, key in CAMPAIGN_FIELDS.items():
        if _text(data.get(name)):
            detail[key] = _text(data[name])[:DETAIL_MAX]
    return Decrypted(
        email_address=_text(data["emailAddress"]),
        profile_id=_text(data.get("profileId"))[:200],
        profile_namespace=detail["profile_namespace"],
        opt_out_level=detail["opt_out_level"].lower(),
        detail={name: value[:DETAIL_MAX] for name, value in detail.items() if value},
    )
