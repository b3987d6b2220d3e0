"""Errors of the mailer API and portal; codes are a contract with mailers' scripts."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from lists.errors import OptoutError


class NotPermitted(OptoutError):
    code = "not_permitted"
    http_status = 403
    message = _("This key may not %(action)s on this list.")


class BatchTooLarge(OptoutError):
    code = "batch_too_large"
    http_status = 413
    message = _("Send at most %(limit)d values in `%(field)s` per request.")


class PayloadTooLarge(OptoutError):
    code = "payload_too_large"
    http_status = 413
    message = _("The request body is larger than %(limit)d bytes.")


class UnknownCategory(OptoutError):
    code = "unknown_category"
    http_status = 404
    message = _("The list has no category %(slug)s.")
