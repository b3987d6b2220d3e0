"""The error base every app raises: a stable `code`, an HTTP status and a message for people.

`lists` is the bottom layer, so every app may import this module.
"""

from __future__ import annotations

from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


class OptoutError(Exception):
    code: str = "error"
    http_status: int = 400
    message: str | Promise = _("The request could not be processed.")

    def __init__(self, message: str | Promise | None = None, **params: Any) -> None:
        self.params = params
        if message is not None:
            self.message = message
        super().__init__(self.text)

    @property
    def text(self) -> str:
        text = str(self.message)
        return text % self.params if self.params else text


class NotFound(OptoutError):
    code = "not_found"
    http_status = 404
    message = _("Not found.")


class InvalidNetwork(OptoutError):
    code = "invalid_network"
    message = _("%(value)s is not an IPv4 or IPv6 network in CIDR notation.")


class IpNotAllowed(OptoutError):
    code = "ip_not_allowed"
    http_status = 403
    message = _("Requests from %(ip)s are not allowed for this mailer.")


class ClientBlocked(OptoutError):
    code = "client_blocked"
    http_status = 429
    message = _(
        "Too many refused requests from %(ip)s: this address is blocked; retry after the "
        "number of seconds in Retry-After."
    )

    def __init__(self, *, ip: str, retry_after: int) -> None:
        self.retry_after = max(retry_after, 1)
        super().__init__(ip=ip)
