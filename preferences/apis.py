"""Mailer API (`/api/v1/`): one view per operation, documented in the OpenAPI schema.

Auth, per-list access, allowlists and blocking live in `MailerApiView`; each view parses,
calls one service or selector and answers.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Iterator
from uuid import UUID

from django.conf import settings
from django.http import StreamingHttpResponse
from django.urls import path
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from consent.models import Source
from consent.origins import Origin
from consent.selectors import Digest, suppressions_for_download
from consent.services import links_for_addresses, report_opt_outs, scrub
from lists import services as links
from lists.errors import NotFound
from lists.models import ConsentLevel
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
        responses={200: OutputSerializer, **error_responses(400, 401, 404, 413, 415, 429)},
    )
    def post(self, request: Request, list_uuid: UUID) -> Response:
        access = self.access(list_uuid)
        data = parse(
            self.InputSerializer,
            request.data,
            batch_field="emails",
            limit=settings.OPTOUT_LINKS_BATCH_MAX,
        )
        result = links_for_addresses(access=access, addresses=data["emails"])
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
        description="Never writes. Only accepted from the mailer's allowed networks.",
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
        result = scrub(
            mailing_list=access.mailing_list,
            values=data["values"],
            category=self.category(access, data.get("category")),
        )
        return Response(self.OutputSerializer(result).data)


def _lines(values: Iterable[str], *, batch: int) -> Iterator[bytes]:
    """One value per line, written in batches: one WSGI write per line would crawl."""
    buffer: list[str] = []
    for value in values:
        buffer.append(value)
        if len(buffer) >= batch:
            yield ("\n".join(buffer) + "\n").encode()
            buffer.clear()
    if buffer:
        yield ("\n".join(buffer) + "\n").encode()


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
            "(Content-Encoding). Only accepted from the mailer's allowed networks."
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
        values = suppressions_for_download(
            mailing_list=access.mailing_list,
            digest=Digest(digest),
            since=data.get("since"),
            category=self.category(access, data.get("category")),
        )
        chunks = _lines(values, batch=settings.OPTOUT_DOWNLOAD_CHUNK_ROWS)
        filename = f"{access.mailing_list.slug}-{digest}.txt"
        accepts_gzip = "gzip" in request.headers.get("Accept-Encoding", "").lower()
        if data["gzip"]:
            response = StreamingHttpResponse(_gzipped(chunks), content_type="application/gzip")
            filename += ".gz"
        elif accepts_gzip:
            response = StreamingHttpResponse(
                _gzipped(chunks), content_type="text/plain; charset=utf-8"
            )
            response["Content-Encoding"] = "gzip"
        else:
            response = StreamingHttpResponse(chunks, content_type="text/plain; charset=utf-8")
        response["Vary"] = "Accept-Encoding"
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
]
