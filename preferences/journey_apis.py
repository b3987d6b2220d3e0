"""`GET /api/v1/decrypt/`: what our own `params`/`pid` stand for, in the journey platform's
decrypt response shape, so a landing page written for the platform works against Optout.

NOT ROUTED YET: it needs the mailer API's authentication, per-list access and allowlist
(issue 6). At merge, base `DecryptLinkParamsApi` on the mailer API view class, make
`allowed_list_ids` return the lists the authenticated mailer may use, and add
`path("decrypt/", DecryptLinkParamsApi.as_view(), name="decrypt")` to `preferences/apis.py`.
"""

from __future__ import annotations

from collections.abc import Collection

from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from consent.linkcrypto import decrypt_link_pair


class DecryptLinkParamsApi(APIView):
    class InputSerializer(serializers.Serializer[dict[str, str]]):
        params = serializers.CharField(max_length=4096, trim_whitespace=True)
        pid = serializers.CharField(max_length=4096, trim_whitespace=True)

    class OutputSerializer(serializers.Serializer[dict[str, object]]):
        profileNameSpace = serializers.CharField()  # noqa: N815  # the platform's field names
        profileId = serializers.CharField()  # noqa: N815
        emailAddress = serializers.EmailField()  # noqa: N815
        emailNameSpace = serializers.CharField()  # noqa: N815
        sandboxId = serializers.CharField(allow_blank=True)  # noqa: N815
        optOutLevel = serializers.ChoiceField(choices=["channel", "identity"])  # noqa: N815
        channelType = serializers.CharField()  # noqa: N815
        timestamp = serializers.CharField()
        listId = serializers.UUIDField()  # noqa: N815
        mailer = serializers.CharField(allow_null=True)

    def allowed_list_ids(self, request: Request) -> Collection[int] | None:
        """The lists the caller may read; the mailer API base class supplies it at merge."""
        raise NotImplementedError("Base this view on the mailer API view (see module doc).")

    def get(self, request: Request) -> Response:
        serializer = self.InputSerializer(data=request.query_params)
        serializer.is_valid(raise_exception=True)
        answer = decrypt_link_pair(
            params=serializer.validated_data["params"],
            pid=serializer.validated_data["pid"],
            allowed_lists=self.allowed_list_ids(request),
        )
        # Campaign fields follow the documented ones flat, as the platform's answer has them.
        return Response(answer)
