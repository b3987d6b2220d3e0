"""What every mailer API operation shares: key auth, per-list access, allowlists, limits.

Views subclass `MailerApiView` and only parse, call one service or selector and answer.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Literal
from uuid import UUID

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiResponse
from rest_framework import exceptions, serializers
from rest_framework.authentication import BaseAuthentication
from rest_framework.parsers import JSONParser
from rest_framework.permissions import BasePermission
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle
from rest_framework.views import APIView

from lists.blocking import check_not_blocked, refuse_client
from lists.errors import NotFound
from lists.keys import KEY_SCHEME, key_for
from lists.models import Category, MailerAccess, MailerApiKey
from lists.networks import address_in, client_ip, parse_address
from lists.selectors import access_for_list, networks_for_mailer
from preferences.errors import BatchTooLarge, NotPermitted, PayloadTooLarge, UnknownCategory

# Every `code` the API answers with. Scripts branch on these: add, never rename.
ERROR_CODES = {
    "invalid_input": _("The body or the query is not valid; `fields` says where."),
    "parse_error": _("The body is not well-formed JSON."),
    "unsupported_media_type": _("Send `Content-Type: application/json`."),
    "not_authenticated": _("No API key was sent."),
    "invalid_api_key": _("The API key is unknown, revoked or expired."),
    "not_found": _("No such list for this key (lists the key may not use are not revealed)."),
    "unknown_category": _("The list has no category with this slug."),
    "invalid_link_params": _(
        "params and pid are not a valid pair (forged, expired, or of a list the key may not use)."
    ),
    "not_permitted": _("The key may see the list but not do this on it."),
    "ip_not_allowed": _("The caller's address is outside the mailer's allowed networks."),
    "client_blocked": _("The address was refused too often and is blocked; see Retry-After."),
    "throttled": _("Too many requests for this key; see Retry-After."),
    "batch_too_large": _("Too many values in one request."),
    "payload_too_large": _("The request body is too large."),
    "method_not_allowed": _("This method is not allowed here."),
    "server_error": _("Something went wrong on our side."),
}


class ErrorSerializer(serializers.Serializer):
    """The one shape of every API error."""

    code = serializers.ChoiceField(choices=list(ERROR_CODES))
    message = serializers.CharField()
    request_id = serializers.CharField()
    # The metaclass moves declared fields out of the class, so this does not shadow `fields`.
    fields = serializers.DictField(required=False)  # type: ignore[assignment]


def error_responses(
    *statuses: int, extra: Mapping[int, tuple[str, ...]] | None = None
) -> dict[int, OpenApiResponse]:
    """Schema entries for the error statuses an operation may answer; `extra` adds the
    operation's own codes to a status."""
    by_status: dict[int, tuple[str, ...]] = {
        400: ("invalid_input", "parse_error"),
        401: ("not_authenticated", "invalid_api_key"),
        403: ("not_permitted", "ip_not_allowed"),
        404: ("not_found", "unknown_category"),
        413: ("batch_too_large", "payload_too_large"),
        415: ("unsupported_media_type",),
        429: ("throttled", "client_blocked"),
    }
    return {
        status: OpenApiResponse(
            ErrorSerializer,
            description="Error codes: "
            + ", ".join(
                f"`{code}`" for code in (*by_status[status], *(extra or {}).get(status, ()))
            ),
        )
        for status in statuses
    }


def key_from_headers(headers: Mapping[str, str]) -> str | None:
    """The clear key from `Authorization: Api-Key <key>` or `X-Api-Key: <key>`."""
    authorization = headers.get("Authorization", "")
    scheme, _sep, value = authorization.strip().partition(" ")
    if scheme.lower() == KEY_SCHEME.lower() and value.strip():
        return value.strip()
    return headers.get("X-Api-Key", "").strip() or None


class ApiKeyAuthentication(BaseAuthentication):
    def authenticate(self, request: Request) -> tuple[None, MailerApiKey] | None:
        clear = key_from_headers(request.headers)
        if clear is None:
            return None
        api_key = key_for(clear)
        if api_key is None:
            raise exceptions.AuthenticationFailed(
                _("The API key is unknown, revoked or expired."), code="invalid_api_key"
            )
        return None, api_key

    def authenticate_header(self, request: Request) -> str:
        return KEY_SCHEME


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = ApiKeyAuthentication
    name = "ApiKey"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": (
                "`Authorization: Api-Key <key>` (or the key alone in `X-Api-Key`). Keys are "
                "created in the mailer portal and shown once."
            ),
        }


class HasApiKey(BasePermission):
    def has_permission(self, request: Request, view: APIView) -> bool:
        return isinstance(request.auth, MailerApiKey)


class ApiKeyRateThrottle(SimpleRateThrottle):
    """Requests per key (not per address: many mailers share outbound NATs)."""

    scope = "api_key"

    def get_rate(self) -> str:
        return str(settings.OPTOUT_API_KEY_RATE)

    def get_cache_key(self, request: Request, view: APIView) -> str | None:
        if not isinstance(request.auth, MailerApiKey):
            return None
        return f"optout:throttle:key:{request.auth.prefix}"


class CappedJSONParser(JSONParser):
    """JSON with a cap on the body size, read without ever holding more than the cap."""

    def parse(
        self,
        stream: Any,
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> Any:
        limit = settings.OPTOUT_API_MAX_BODY_BYTES
        request = (parser_context or {}).get("request")
        declared = request.META.get("CONTENT_LENGTH") if request is not None else None
        if declared and declared.isdigit() and int(declared) > limit:
            raise PayloadTooLarge(limit=limit)
        data = stream.read(limit + 1) if stream is not None else b""
        if len(data) > limit:
            raise PayloadTooLarge(limit=limit)
        try:
            return json.loads(data)
        except (ValueError, UnicodeDecodeError) as exc:
            raise exceptions.ParseError(_("The body is not well-formed JSON.")) from exc


MAX_VALUE_LENGTH = 320


class StringListField(serializers.ListField):
    """A list of strings, checked in one pass: scrub batches hold 100,000 of them."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("allow_empty", False)
        kwargs.setdefault("min_length", 1)  # allow_empty alone does not reach the schema
        super().__init__(
            child=serializers.CharField(max_length=MAX_VALUE_LENGTH, allow_blank=True), **kwargs
        )

    def run_child_validation(self, data: list[Any]) -> list[str]:
        errors = {
            str(index): [
                _("Must be a string of at most %(max)d characters.") % {"max": MAX_VALUE_LENGTH}
            ]
            for index, item in enumerate(data)
            if not isinstance(item, str) or len(item) > MAX_VALUE_LENGTH
        }
        if errors:
            raise serializers.ValidationError(errors)
        return list(data)


class MailerAutoSchema(AutoSchema):
    """Names nested serializers after their view: every view has an `InputSerializer`."""

    def get_serializer_name(
        self, serializer: serializers.Serializer, direction: Literal["request", "response"]
    ) -> str:
        qualname = type(serializer).__qualname__
        if "." in qualname:
            return "".join(part.removesuffix("Serializer") for part in qualname.split("."))
        return str(super().get_serializer_name(serializer, direction))


class MailerApiView(APIView):
    """Base of every mailer operation: who calls, from where, on which list, how often."""

    authentication_classes = [ApiKeyAuthentication]
    permission_classes = [HasApiKey]
    throttle_classes = [ApiKeyRateThrottle]
    parser_classes = [CappedJSONParser]
    renderer_classes = [JSONRenderer]
    schema = MailerAutoSchema()

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        # A blocked address is answered before its key is even looked at.
        check_not_blocked(ip=client_ip(request))
        super().initial(request, *args, **kwargs)

    def perform_content_negotiation(self, request: Request, force: bool = False) -> Any:
        # Errors are always JSON and downloads always text, whatever Accept says.
        return super().perform_content_negotiation(request, force=True)

    @property
    def api_key(self) -> MailerApiKey:
        assert isinstance(self.request.auth, MailerApiKey)  # noqa: S101  # HasApiKey ran
        return self.request.auth

    def access(
        self,
        list_uuid: UUID,
        *,
        permission: Literal["download", "notify"] | None = None,
        allowlisted: bool = False,
    ) -> MailerAccess:
        """The key's access to the list; 404 when it has none, 403 / 429 when refused."""
        access = access_for_list(mailer=self.api_key.mailer, list_uuid=list_uuid)
        if access is None:
            raise NotFound
        if permission == "download" and not access.can_download:
            raise NotPermitted(action=_("download suppressions"))
        if permission == "notify" and not access.can_notify:
            raise NotPermitted(action=_("report opt-outs"))
        if allowlisted:
            self.check_network()
        return access

    def check_network(self) -> None:
        ip = client_ip(self.request)
        address = parse_address(ip)
        networks = networks_for_mailer(mailer=self.api_key.mailer)
        if address is None or not address_in(address, networks):
            raise refuse_client(ip=ip, mailer=self.api_key.mailer)

    def category(self, access: MailerAccess, slug: str | None) -> Category | None:
        if not slug:
            return None
        category = Category.objects.filter(mailing_list=access.mailing_list, slug=slug).first()
        if category is None:
            raise UnknownCategory(slug=slug)
        return category


def parse(
    serializer_class: type[serializers.Serializer],
    data: Any,
    *,
    batch_field: str | None = None,
    limit: int = 0,
) -> dict[str, Any]:
    """Validated input, or a raised error: 413 for a batch over `limit`, else 400."""
    if batch_field is not None and isinstance(data, Mapping):
        batch = data.get(batch_field)
        if isinstance(batch, list) and len(batch) > limit:
            raise BatchTooLarge(limit=limit, field=batch_field)
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)
