"""Admin for the mailer API: keys (shown once on creation) and blocked client addresses.

Imported from `lists/admin.py`, so that module's other classes and this block merge apart.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import Model, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from rest_framework_api_key.admin import APIKeyModelAdmin
from rest_framework_api_key.models import APIKey

from lists.blocking import unblock_client
from lists.models import BlockedClient, MailerApiKey

# The library's own key model is unused (every key belongs to a mailer): keep it out of sight.
if admin.site.is_registered(APIKey):
    admin.site.unregister(APIKey)


@admin.register(MailerApiKey)
class MailerApiKeyAdmin(APIKeyModelAdmin):
    """Creating a key here shows it once in a message, as the portal does."""

    # The library's options are inferred as fixed-length tuples; ours are longer.
    list_display = ("name", "prefix", "mailer", "created", "last_used_at", "expiry_date", "revoked")  # type: ignore[assignment]
    list_filter = ("revoked", "mailer")  # type: ignore[assignment]
    list_select_related = ("mailer",)
    search_fields = ("name", "prefix", "mailer__name")  # type: ignore[assignment]
    raw_id_fields = ("mailer",)

    def get_readonly_fields(
        self, request: HttpRequest, obj: Model | None = None
    ) -> tuple[str, ...]:
        # The library's hint leaves out None, which Django passes on the add form.
        return (*super().get_readonly_fields(request, obj), "last_used_at")  # type: ignore[arg-type]


@admin.register(BlockedClient)
class BlockedClientAdmin(admin.ModelAdmin):
    list_display = [
        "ip",
        "mailer",
        "refusals",
        "blocked_at",
        "blocked_until",
        "lifted_at",
        "lifted_by",
    ]
    list_filter = ["lifted_at", "blocked_at"]
    list_select_related = ["mailer", "lifted_by"]
    search_fields = ["ip", "mailer__name"]
    actions = ["unblock"]
    readonly_fields = [
        "ip",
        "mailer",
        "refusals",
        "blocked_at",
        "blocked_until",
        "lifted_at",
        "lifted_by",
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # blocks come from refused requests only

    @admin.action(description=_("Unblock the selected addresses now"))
    def unblock(self, request: HttpRequest, queryset: QuerySet[BlockedClient]) -> None:
        lifted = sum(unblock_client(block=block, user=request.user) for block in queryset)
        self.message_user(
            request,
            ngettext("%(count)d address unblocked.", "%(count)d addresses unblocked.", lifted)
            % {"count": lifted},
            messages.SUCCESS,
        )
