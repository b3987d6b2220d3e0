"""Mailer API (`/api/v1/`): one view per operation, documented in the OpenAPI schema.

Auth, per-list access, allowlists and blocking live in `MailerApiView`; each view parses,
calls one service or selector and answers.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Collection, Iterable, Iterator
from datetime import datetime
from functools import partial
from typing import Any
from uuid import UUID

from django.conf import settings
from django.core.validators import ProhibitNullCharactersValidator
from django.http import StreamingHttpResponse
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from consent.journey_selectors import consent_changes_for_export
from consent.linkcrypto import (
    CAMPAIGN_FIELDS_MAX,
    CAMPAIGN_KEY_MAX,
    CAMPAIGN_VALUE_MAX,
    decrypt_link_pair,
)
from consent.models import DownloadKind, Source
from consent.origins import Origin, request_id
from consent.selectors import Digest, suppression_download_blocks
from consent.selectors.compliance import Watermark, download_watermark
from consent.services import links_for_addresses, record_download, report_opt_outs, scrub
from lists import services as links
from lists.errors import NotFound
from lists.models import ConsentLevel, MailerAccess
from lists.selectors import accesses_for_mailer
from preferences.api_access import (
    MailerApiView,
    StringListField,
    error_responses,
    parse,
)

DIGESTS = frozenset(digest.value for digest in Digest)
GZIP_WBITS = 31  # zlib's way of asking for a gzip header and trailer


class CategorySerializer(serializers.Serializer):
    slug = serializers.SlugField()
    name = serializers.CharField()


class OpaqueTextField(serializers.CharField):
    """Any string the schema allows, as sent: no trimming, NUL characters included (they
    reach no database here), so a schema-valid value is never refused."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("trim_whitespace", False)
        super().__init__(**kwargs)
        self.validators = [
            validator
            for validator in self.validators
            if not isinstance(validator, ProhibitNullCharactersValidator)
        ]

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):  # no silent 0 -> "0": the schema says string
            self.fail("invalid")
        return str(super().to_internal_value(data))


class CampaignFieldSerializer(serializers.Serializer):
    name = OpaqueTextField(max_length=CAMPAIGN_KEY_MAX)
    value = OpaqueTextField(max_length=CAMPAIGN_VALUE_MAX, allow_blank=True)


class ListsApi(MailerApiView):
    class OutputSerializer(serializers.Serializer):
        uuid = serializers.UUIDField(source="mailing_list.uuid")
        slug = serializers.SlugField(source="mailing_list.slug")
        name = serializers.CharField(source="mailing_list.name")
        consent_level = serializers.ChoiceField(
            source="mailing_list.consent_level", choices=ConsentLevel.choices
        )
        can_download = serializers.BooleanField()
        can_notify = serializers.BooleanField()
        categories = CategorySerializer(source="mailing_list.categories.all", many=True)
        hosted_page_url = serializers.SerializerMethodField()
        direct_link_template = serializers.SerializerMethodField()

        def get_hosted_page_url(self, access: object) -> str:
            return links.hosted_page_url(mailing_list=access.mailing_list)  # type: ignore[attr-defined]  # a MailerAccess

        def get_direct_link_template(self, access: object) -> str:
            return links.direct_link_template(mailing_list=access.mailing_list)  # type: ignore[attr-defined]  # a MailerAccess

    @extend_schema(
        operation_id="lists",
        summary="Lists this key may use",
        responses={200: OutputSerializer(many=True), **error_responses(401, 429)},
    )
    def get(self, request: Request) -> Response:
        accesses = accesses_for_mailer(mailer=self.api_key.mailer)
        return Response(self.OutputSerializer(accesses, many=True).data)


class LinksApi(MailerApiView):
    class InputSerializer(serializers.Serializer):
        emails = StringListField(help_text=_("Up to 1,000 addresses."))
        campaign = serializers.ListField(
            child=CampaignFieldSerializer(),
            required=False,
            max_length=CAMPAIGN_FIELDS_MAX,
            help_text=_(
                "Up to 10 campaign fields carried, encrypted, in the landing page link of lists "
                "that send subscribers to the brand's own page (the decrypt API gives them "
                "back). A name given twice keeps its last value."
            ),
        )

    class OutputSerializer(serializers.Serializer):
        class RecipientSerializer(serializers.Serializer):
            email = serializers.CharField()
            token = serializers.CharField()
            preference_url = serializers.URLField(source="links.preference_url")
            unsubscribe_url = serializers.URLField(source="links.unsubscribe_url")
            one_click_url = serializers.URLField(source="links.one_click_url", allow_null=True)
            mailto = serializers.CharField(source="links.mailto", allow_null=True)
            list_unsubscribe = serializers.CharField(
                source="links.headers.list_unsubscribe", allow_null=True
            )
            list_unsubscribe_post = serializers.CharField(
                source="links.headers.list_unsubscribe_post", allow_null=True
            )

        recipients = RecipientSerializer(many=True)
        invalid = serializers.ListField(child=serializers.CharField())

    @extend_schema(
        operation_id="links",
        summary="Links and List-Unsubscribe header values for a batch of recipients",
        request=InputSerializer,
        responses={
            200: OutputSerializer,
            **error_responses(400, 401, 404, 413, 415, 429),
        },
    )
    def post(self, request: Request, list_uuid: UUID) -> Response:
        access = self.access(list_uuid)
        data = parse(
            self.InputSerializer,
            request.data,
            batch_field="emails",
            limit=settings.OPTOUT_LINKS_BATCH_MAX,
        )
        campaign = {field["name"]: field["value"] for field in data.get("campaign", [])}
        result = links_for_addresses(access=access, addresses=data["emails"], campaign=campaign)
        return Response(self.OutputSerializer(result).data)


class ReportOptOutsApi(MailerApiView):
    class InputSerializer(serializers.Serializer):
        emails = StringListField(help_text=_("Up to 10,000 addresses."))
        category = serializers.SlugField(
            required=False, help_text=_("Opt out of this category only (default: whole list).")
        )

    class OutputSerializer(serializers.Serializer):
        received = serializers.IntegerField()
        invalid = serializers.IntegerField()
        duplicates = serializers.IntegerField()
        newly_suppressed = serializers.IntegerField()
        already_suppressed = serializers.IntegerField()

    @extend_schema(
        operation_id="report_opt_outs",
        summary="Report opt-outs server-to-server (idempotent)",
        description=(
            "Suppresses every valid address. Sending the same batch again changes nothing. "
            "Only accepted from the mailer's allowed networks."
        ),
        request=InputSerializer,
        responses={
            200: OutputSerializer,
            **error_responses(400, 401, 403, 404, 413, 415, 429),
        },
    )
    def post(self, request: Request, list_uuid: UUID) -> Response:
        access = self.access(list_uuid, permission="notify", allowlisted=True)
        data = parse(
            self.InputSerializer,
            request.data,
            batch_field="emails",
            limit=settings.OPTOUT_REPORT_BATCH_MAX,
        )
        origin = Origin.from_request(request, source=Source.S2S, mailer=access.mailer)
        result = report_opt_outs(
            mailing_list=access.mailing_list,
            addresses=data["emails"],
            category=self.category(access, data.get("category")),
            origin=origin,
        )
        return Response(self.OutputSerializer(result).data)


class ScrubApi(MailerApiView):
    class InputSerializer(serializers.Serializer):
        values = StringListField(
            help_text=_("Up to 100,000 addresses, MD5 or SHA-256 hex digests, mixed freely.")
        )
        category = serializers.SlugField(
            required=False, help_text=_("Also honour opt-outs of this category.")
        )

    class OutputSerializer(serializers.Serializer):
        received = serializers.IntegerField()
        invalid = serializers.IntegerField()
        suppressed = serializers.ListField(
            child=serializers.CharField(), help_text=_("The values that must not be mailed.")
        )

    @extend_schema(
        operation_id="scrub",
        summary="Which of these addresses or hashes must not be mailed",
        description=(
            "Changes no consent; the answer is logged as the mailer having received the "
            "opt-outs it covers. Only accepted from the mailer's allowed networks."
        ),
        request=InputSerializer,
        responses={
            200: OutputSerializer,
            **error_responses(400, 401, 403, 404, 413, 415, 429),
        },
    )
    def post(self, request: Request, list_uuid: UUID) -> Response:
        access = self.access(list_uuid, permission="download", allowlisted=True)
        data = parse(
            self.InputSerializer,
            request.data,
            batch_field="values",
            limit=settings.OPTOUT_SCRUB_BATCH_MAX,
        )
        requested_at = timezone.now()
        watermark = download_watermark(mailing_list=access.mailing_list)
        result = scrub(
            mailing_list=access.mailing_list,
            values=data["values"],
            category=self.category(access, data.get("category")),
        )
        record_download(
            mailer=access.mailer,
            mailing_list=access.mailing_list,
            kind=DownloadKind.SCRUB,
            rows=len(result.suppressed),
            requested_at=requested_at,
            watermark=watermark,
            request_id=request_id(request),
        )
        return Response(self.OutputSerializer(result).data)


class _Counted:
    """The blocks of a download, their lines counted as they stream by (no value holds a
    newline, so each line is one value)."""

    def __init__(self, blocks: Iterable[bytes]) -> None:
        self.blocks = blocks
        self.rows = 0

    def __iter__(self) -> Iterator[bytes]:
        for block in self.blocks:
            self.rows += block.count(b"\n")
            yield block


def _then(chunks: Iterable[bytes], callback: Callable[[], object]) -> Iterator[bytes]:
    """`chunks`, then `callback` once the last one is handed to the client. A client that
    disconnects first closes the generator at a `yield`, so the callback never runs."""
    yield from chunks
    callback()


def _log_download(  # one row of the download log
    *,
    access: MailerAccess,
    digest: str,
    since: datetime | None,
    counted: _Counted,
    requested_at: datetime,
    watermark: Watermark,
    request_id: str,
) -> None:
    record_download(
        mailer=access.mailer,
        mailing_list=access.mailing_list,
        kind=DownloadKind.DOWNLOAD,
        output_format=digest,
        since=since,
        rows=counted.rows,
        requested_at=requested_at,
        watermark=watermark,
        request_id=request_id,
    )


def _gzipped(chunks: Iterable[bytes]) -> Iterator[bytes]:
    compressor = zlib.compressobj(6, zlib.DEFLATED, GZIP_WBITS)
    for chunk in chunks:
        compressed = compressor.compress(chunk)
        if compressed:
            yield compressed
    yield compressor.flush()


class SuppressionDownloadApi(MailerApiView):
    class InputSerializer(serializers.Serializer):
        since = serializers.DateTimeField(
            required=False, help_text=_("ISO 8601; only suppressions recorded since then.")
        )
        gzip = serializers.BooleanField(
            required=False, default=False, help_text=_("Send a .gz file.")
        )
        category = serializers.SlugField(
            required=False, help_text=_("Also list opt-outs of this category.")
        )

    @extend_schema(
        operation_id="download_suppressions",
        summary="Download the suppression list, streamed, one value per line",
        description=(
            "`plain` addresses, or lowercase hex `md5` / `sha256` digests, one per line. "
            "Compressed with `?gzip=1` (a .gz file) or `Accept-Encoding: gzip` "
            "(Content-Encoding). Only accepted from the mailer's allowed networks. A download "
            "streamed to its end is logged as the mailer having received the opt-outs in it."
        ),
        parameters=[
            InputSerializer,
            OpenApiParameter(
                "digest", OpenApiTypes.STR, OpenApiParameter.PATH, enum=[d.value for d in Digest]
            ),
        ],
        responses={
            (200, "text/plain"): OpenApiResponse(OpenApiTypes.STR),
            (200, "application/gzip"): OpenApiResponse(OpenApiTypes.BINARY),
            **{
                (status, "application/json"): response
                for status, response in error_responses(400, 401, 403, 404, 429).items()
            },
        },
    )
    def get(self, request: Request, list_uuid: UUID, digest: str) -> StreamingHttpResponse:
        access = self.access(list_uuid, permission="download", allowlisted=True)
        if digest not in DIGESTS:  # a path that does not exist
            raise NotFound
        # A plain dict, not the QueryDict: DRF would read `?since=` as "no since" and send
        # the whole list to a script whose variable happened to be empty.
        data = parse(self.InputSerializer, request.query_params.dict())
        category = self.category(access, data.get("category"))
        requested_at = timezone.now()
        # Read before the query: opt-outs recorded while it streams are not claimed as sent.
        watermark = download_watermark(mailing_list=access.mailing_list)
        counted = _Counted(
            suppression_download_blocks(
                mailing_list=access.mailing_list,
                digest=Digest(digest),
                since=data.get("since"),
                category=category,
            )
        )
        log = partial(
            _log_download,
            access=access,
            digest=digest,
            since=data.get("since"),
            counted=counted,
            requested_at=requested_at,
            watermark=watermark,
            request_id=request_id(request),
        )
        filename = f"{access.mailing_list.slug}-{digest}.txt"
        accepts_gzip = "gzip" in request.headers.get("Accept-Encoding", "").lower()
        if data["gzip"]:
            response = StreamingHttpResponse(
                _then(_gzipped(counted), log), content_type="application/gzip"
            )
            filename += ".gz"
        elif accepts_gzip:
            response = StreamingHttpResponse(
                _then(_gzipped(counted), log), content_type="text/plain; charset=utf-8"
            )
            response["Content-Encoding"] = "gzip"
        else:
            response = StreamingHttpResponse(
                _then(counted, log), content_type="text/plain; charset=utf-8"
            )
        response["Vary"] = "Accept-Encoding"
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        response["Cache-Control"] = "no-store"
        return response


class DecryptLinkParamsApi(MailerApiView):
    """What our own `params`/`pid` stand for, in the journey platform's decrypt response
    shape, so a landing page written for the platform works against Optout unchanged."""

    class InputSerializer(serializers.Serializer):
        params = OpaqueTextField(max_length=4096, help_text=_("`params` from the link."))
        pid = OpaqueTextField(max_length=4096, help_text=_("`pid` from the link."))

    class OutputSerializer(serializers.Serializer):
        profileNameSpace = serializers.CharField()  # noqa: N815  # the platform's field names
        profileId = serializers.CharField()  # noqa: N815
        emailAddress = serializers.CharField(  # noqa: N815
            allow_blank=True, help_text=_("Empty for a contact known only by its hashes.")
        )
        emailNameSpace = serializers.CharField()  # noqa: N815
        sandboxId = serializers.CharField(allow_blank=True)  # noqa: N815
        optOutLevel = serializers.ChoiceField(choices=["channel", "identity"])  # noqa: N815
        channelType = serializers.CharField()  # noqa: N815
        timestamp = serializers.DateTimeField()
        listId = serializers.UUIDField()  # noqa: N815
        mailer = serializers.CharField(allow_null=True)

    def allowed_list_ids(self) -> Collection[int]:
        """The lists this key's mailer may use: a pair of any other list is refused."""
        return {
            access.mailing_list_id for access in accesses_for_mailer(mailer=self.api_key.mailer)
        }

    @extend_schema(
        operation_id="decrypt_link_params",
        summary="What a landing page link's params and pid stand for",
        description=(
            "Answers in the shape of Adobe Journey Optimizer's decrypt API; the campaign "
            "fields given to the links API follow, flat. A forged pair, an expired one and "
            "one of a list this key may not use all get the same `invalid_link_params` error. "
            "Only accepted from the mailer's allowed networks."
        ),
        parameters=[InputSerializer],
        responses={
            200: OutputSerializer,
            **error_responses(400, 401, 403, 404, 429, extra={404: ("invalid_link_params",)}),
            414: OpenApiResponse(description="The query is longer than the server accepts."),
        },
    )
    def get(self, request: Request) -> Response:
        self.check_network()
        data = parse(self.InputSerializer, request.query_params.dict())
        answer = decrypt_link_pair(
            params=data["params"], pid=data["pid"], allowed_lists=self.allowed_list_ids()
        )
        response = Response(answer)
        response["Cache-Control"] = "no-store"
        return response


def _joined(lines: Iterable[str], *, batch: int) -> Iterator[bytes]:
    """Lines that carry their own newline, written in batches."""
    buffer: list[str] = []
    for line in lines:
        buffer.append(line)
        if len(buffer) >= batch:
            yield "".join(buffer).encode()
            buffer.clear()
    if buffer:
        yield "".join(buffer).encode()


class ConsentExportApi(MailerApiView):
    class InputSerializer(serializers.Serializer):
        since = serializers.DateTimeField(
            required=False, help_text=_("ISO 8601; only changes Optout recorded since then.")
        )
        hashed = serializers.BooleanField(
            required=False,
            default=False,
            help_text=_("Identify contacts by SHA-256 only, never by address."),
        )

    @extend_schema(
        operation_id="export_consent",
        summary="Consent changes as XDM JSON lines, for a journey platform's batch ingestion",
        description=(
            "One JSON object per line in the Experience Platform's Consents & Preferences "
            "shape: `identityMap` (`Email`, `Email_LC_SHA256`) and "
            "`consents.marketing.email` with `val` `n` (opted out) or `y` (opted in), its "
            "`time` and `reason`. Whole-list changes only, oldest first, streamed. Only "
            "accepted from the mailer's allowed networks."
        ),
        parameters=[InputSerializer],
        responses={
            (200, "application/x-ndjson"): OpenApiResponse(
                OpenApiTypes.STR, description="JSON lines, possibly none."
            ),
            **{
                (status, "application/json"): response
                for status, response in error_responses(400, 401, 403, 404, 429).items()
            },
        },
    )
    def get(self, request: Request, list_uuid: UUID) -> StreamingHttpResponse:
        access = self.access(list_uuid, permission="download", allowlisted=True)
        # A plain dict, as for downloads: `?since=` must be refused, not read as "everything".
        data = parse(self.InputSerializer, request.query_params.dict())
        lines = consent_changes_for_export(
            mailing_list=access.mailing_list, since=data.get("since"), hashed_only=data["hashed"]
        )
        response = StreamingHttpResponse(
            _joined(lines, batch=settings.OPTOUT_DOWNLOAD_CHUNK_ROWS),
            content_type="application/x-ndjson",
        )
        filename = f"{access.mailing_list.slug}-consent.ndjson"
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        response["Cache-Control"] = "no-store"
        return response


urlpatterns = [
    path("lists/", ListsApi.as_view(), name="lists"),
    path("lists/<uuid:list_uuid>/links/", LinksApi.as_view(), name="links"),
    path("lists/<uuid:list_uuid>/opt-outs/", ReportOptOutsApi.as_view(), name="report-opt-outs"),
    path("lists/<uuid:list_uuid>/scrub/", ScrubApi.as_view(), name="scrub"),
    path(
        "lists/<uuid:list_uuid>/suppressions/<str:digest>/",
        SuppressionDownloadApi.as_view(),
        name="download",
    ),
    path(
        "lists/<uuid:list_uuid>/consent-export/", ConsentExportApi.as_view(), name="consent-export"
    ),
    path("decrypt/", DecryptLinkParamsApi.as_view(), name="decrypt"),
]
