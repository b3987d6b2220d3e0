"""One JSON error shape for the whole API: a stable `code`, a `message`, the request id.

Our own errors (`OptoutError`) and DRF's are mapped here; validation errors add `fields`.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, JsonResponse
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from consent.origins import request_id
from lists.errors import OptoutError


def error_body(*, code: str, message: str, request: HttpRequest | None) -> dict[str, Any]:
    body: dict[str, Any] = {"code": code, "message": message}
    if request is not None:
        body["request_id"] = request_id(request)
    return body


def _first_code(detail: Any) -> str:
    if isinstance(detail, dict):
        for value in detail.values():
            return _first_code(value)
    if isinstance(detail, list) and detail:
        return _first_code(detail[0])
    return str(getattr(detail, "code", "invalid"))


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    request = context.get("request")
    django_request = getattr(request, "_request", request)
    if isinstance(exc, OptoutError):
        response = Response(
            error_body(code=exc.code, message=exc.text, request=django_request),
            status=exc.http_status,
        )
        retry_after = getattr(exc, "retry_after", None)
        if retry_after:
            response["Retry-After"] = str(retry_after)
        return response
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    if not isinstance(exc, exceptions.APIException):
        return None
    handled = drf_exception_handler(exc, context)
    if handled is None:
        return None
    response = handled
    if isinstance(exc, exceptions.ValidationError):
        body = error_body(
            code="invalid_input",
            message=_("The request body is not valid; see `fields`."),
            request=django_request,
        )
        body["fields"] = (
            exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
        )
    else:
        detail = exc.detail
        body = error_body(
            code=_first_code(detail) if not isinstance(detail, str) else exc.default_code,
            message=str(detail),
            request=django_request,
        )
        if isinstance(detail, exceptions.ErrorDetail):
            body["code"] = detail.code or exc.default_code
    response.data = body
    return response


def server_error(request: HttpRequest) -> JsonResponse:
    return JsonResponse(
        error_body(code="server_error", message=_("Internal server error."), request=request),
        status=status.HTTP_500_INTERNAL_SERVER_ERROR,
    )


def not_found(request: HttpRequest) -> JsonResponse:
    return JsonResponse(
        error_body(code="not_found", message=_("Not found."), request=request),
        status=status.HTTP_404_NOT_FOUND,
    )
