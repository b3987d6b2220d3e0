"""Admin for imports, ESP connections and webhook deliveries (the sync capability)."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from consent.models import EspConnection, ImportJob, WebhookAttempt, WebhookDelivery
from consent.services import webhooks as webhook_services
from consent.services.imports import create_import_job
from lists.services import absolute
from lists.teams import TeamScopedAdminMixin, register_team_lookup

register_team_lookup(ImportJob, "mailing_list__team")
register_team_lookup(EspConnection, "mailing_list__team")
register_team_lookup(WebhookDelivery, "webhook__team")
register_team_lookup(WebhookAttempt, "delivery__webhook__team")


class ImportJobForm(forms.ModelForm):
    class Meta:
        model = ImportJob
        fields = ["mailing_list", "file"]
        help_texts = {
            "file": _(
                "An export of unsubscribed addresses from Mailchimp, SendGrid, Mailgun, "
                "Brevo, Amazon SES, listmonk or Klaviyo, one address per line, or MD5 hashes."
            )
        }


@admin.register(ImportJob)
class ImportJobAdmin(TeamScopedAdminMixin, admin.ModelAdmin):
    form = ImportJobForm
    list_display = [
        "file_name",
        "mailing_list",
        "status",
        "progress_display",
        "rows",
        "suppressed",
        "already_suppressed",
        "invalid",
        "created_at",
    ]
    list_filter = ["status"]
    list_select_related = ["mailing_list"]
    readonly_fields = [
        "file_name",
        "mailing_list",
        "status",
        "progress_display",
        "file_format",
        "rows",
        "suppressed",
        "already_suppressed",
        "duplicates",
        "skipped",
        "invalid",
        "rejects_display",
        "failure",
        "created_by",
        "created_at",
        "started_at",
        "finished_at",
    ]

    def get_fields(
        self, request: HttpRequest, obj: ImportJob | None = None
    ) -> list[str | list[str] | tuple[str, ...] | tuple[()]]:
        return ["mailing_list", "file"] if obj is None else list(self.readonly_fields)

    def get_readonly_fields(self, request: HttpRequest, obj: ImportJob | None = None) -> list[str]:
        return [] if obj is None else list(self.readonly_fields)

    @admin.display(description=_("progress"))
    def progress_display(self, obj: ImportJob) -> str:
        return format_html(
            '<progress max="100" value="{}">{} %</progress> {} %',
            obj.progress,
            obj.progress,
            obj.progress,
        )

    @admin.display(description=_("first rejects"))
    def rejects_display(self, obj: ImportJob) -> str:
        if not obj.errors:
            return "—"
        return format_html(
            "<ul>{}</ul>",
            format_html_join(
                "",
                "<li>{} {}: {}</li>",
                ((_("line"), row.get("line"), row.get("reason")) for row in obj.errors),
            ),
        )

    def save_model(
        self, request: HttpRequest, obj: ImportJob, form: forms.Form, change: bool
    ) -> None:
        if change:  # finished or running imports are evidence: never edited
            return
        obj.created_by = request.user  # type: ignore[assignment]  # admin users are Users
        create_import_job(job=obj)
        self.message_user(
            request,
            _("The import is queued. Reload this page to follow its progress."),
            messages.SUCCESS,
        )

    def has_change_permission(self, request: HttpRequest, obj: ImportJob | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: ImportJob | None = None) -> bool:
        return False


@admin.register(EspConnection)
class EspConnectionAdmin(TeamScopedAdminMixin, admin.ModelAdmin):
    list_display = ["name", "provider", "mailing_list", "active", "webhook_url"]
    list_filter = ["provider", "active"]
    list_select_related = ["mailing_list"]
    readonly_fields = ["webhook_url", "created_at"]
    fields = [
        "name",
        "provider",
        "mailing_list",
        "active",
        "webhook_url",
        "basic_auth",
        "signing_key",
        "sns_topic_arn",
        "created_at",
    ]

    @admin.display(description=_("webhook URL to give the ESP"))
    def webhook_url(self, obj: EspConnection) -> str:
        if obj.pk is None:
            return str(_("Shown once saved."))
        return absolute(reverse("preferences:esp_webhook", kwargs={"connection_uuid": obj.uuid}))


class WebhookAttemptInline(TeamScopedAdminMixin, admin.TabularInline):
    model = WebhookAttempt
    extra = 0
    fields = ["attempted_at", "status_code", "error", "duration_ms"]
    readonly_fields = ["attempted_at", "status_code", "error", "duration_ms"]
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(TeamScopedAdminMixin, admin.ModelAdmin):
    list_display = [
        "message_id",
        "webhook",
        "event_type",
        "attempts",
        "last_status_code",
        "last_error",
        "delivered_at",
        "gave_up_at",
        "next_attempt_at",
    ]
    list_filter = ["event_type", ("delivered_at", admin.EmptyFieldListFilter), "webhook"]
    list_select_related = ["webhook"]
    search_fields = ["message_id"]
    raw_id_fields = ["event"]
    inlines = [WebhookAttemptInline]
    actions = ["resend"]
    readonly_fields = [
        "webhook",
        "event",
        "message_id",
        "event_type",
        "payload",
        "created_at",
        "next_attempt_at",
        "attempts",
        "delivered_at",
        "gave_up_at",
        "last_status_code",
        "last_error",
    ]

    @admin.action(description=_("Send the selected messages again"))
    def resend(self, request: HttpRequest, queryset: QuerySet[WebhookDelivery]) -> None:
        count = webhook_services.resend_deliveries(
            delivery_ids=list(queryset.values_list("pk", flat=True))
        )
        self.message_user(
            request, _("%(count)d messages queued again.") % {"count": count}, messages.SUCCESS
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(
        self, request: HttpRequest, obj: WebhookDelivery | None = None
    ) -> bool:
        return False

    def has_delete_permission(
        self, request: HttpRequest, obj: WebhookDelivery | None = None
    ) -> bool:
        return False
