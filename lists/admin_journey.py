"""Admin for journey platform integrations (customer-managed unsubscribe endpoints)."""

from __future__ import annotations

# ---- Journey platform integrations (issue 9) ------------------------------------------------
# Kept as one block at the end of this module so it merges beside the rest of lists' admin.
from django import forms
from django.contrib import admin
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from lists.models import JourneyIntegration
from lists.services import journey_mailto_address, journey_one_click_url
from lists.teams import TeamScopedAdminMixin, register_team_lookup

register_team_lookup(JourneyIntegration, "team")


class JourneyIntegrationForm(forms.ModelForm):
    # Write-only: the stored secret is never sent back to a browser, and an empty field
    # keeps it, so editing another field does not require typing it again.
    client_secret = forms.CharField(
        label=_("client secret"),
        required=False,
        strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=_("Never shown again after saving. Leave empty to keep the current secret."),
    )

    class Meta:
        model = JourneyIntegration
        fields = [
            "name",
            "team",
            "kind",
            "lists",
            "active",
            "decrypt_url",
            "token_url",
            "client_id",
            "client_secret",
            "organization_id",
            "api_key",
            "scopes",
            "sandbox",
        ]

    def clean_client_secret(self) -> str:
        secret: str = self.cleaned_data.get("client_secret") or ""
        if secret:
            return secret
        if self.instance.pk and self.instance.client_secret:
            return self.instance.client_secret
        raise forms.ValidationError(_("Enter the client secret of the Adobe Developer project."))

    def clean(self) -> dict[str, object]:
        cleaned = super().clean() or {}
        team = cleaned.get("team")
        lists = cleaned.get("lists") or []
        foreign = [str(item) for item in lists if team is not None and item.team_id != team.pk]
        if foreign:
            self.add_error(
                "lists",
                _("These lists belong to another team: %(lists)s") % {"lists": ", ".join(foreign)},
            )
        return cleaned


@admin.register(JourneyIntegration)
class JourneyIntegrationAdmin(TeamScopedAdminMixin, admin.ModelAdmin):
    form = JourneyIntegrationForm
    list_display = ["name", "kind", "team", "active", "list_count", "created_at"]
    list_filter = ["kind", "active", "team"]
    list_select_related = ["team"]
    search_fields = ["name", "client_id", "organization_id"]
    filter_horizontal = ["lists"]
    readonly_fields = ["one_click_url", "mailto_address", "created_at"]
    fieldsets = [
        (None, {"fields": ["name", "team", "kind", "lists", "active"]}),
        (
            _("Paste into the platform's channel configuration (Customer managed)"),
            {"fields": ["one_click_url", "mailto_address"]},
        ),
        (
            _("Decrypt API (OAuth server-to-server credentials)"),
            {
                "fields": [
                    "decrypt_url",
                    "token_url",
                    "client_id",
                    "client_secret",
                    "organization_id",
                    "api_key",
                    "scopes",
                    "sandbox",
                ]
            },
        ),
        (None, {"fields": ["created_at"]}),
    ]

    def has_delete_permission(
        self, request: HttpRequest, obj: JourneyIntegration | None = None
    ) -> bool:
        # Untick "active" instead. The database does not check the integration key of the
        # opt-outs it received (see JourneyOptOutRequest), so a delete racing a receipt
        # could leave one pointing at nothing.
        return False

    def get_queryset(self, request: HttpRequest) -> QuerySet[JourneyIntegration]:
        return super().get_queryset(request).annotate(list_total=Count("lists"))

    @admin.display(description=_("lists"), ordering="list_total")
    def list_count(self, obj: JourneyIntegration) -> int:
        return int(getattr(obj, "list_total", 0))

    @admin.display(description=_("one-click unsubscribe URL (POST)"))
    def one_click_url(self, obj: JourneyIntegration) -> str:
        if obj.pk is None:
            return str(_("Shown after saving."))
        return format_html("<code>{}</code>", journey_one_click_url(integration=obj))

    @admin.display(description=_("mailto (unsubscribe) address"))
    def mailto_address(self, obj: JourneyIntegration) -> str:
        if obj.pk is None:
            return str(_("Shown after saving."))
        return format_html("<code>{}</code>", journey_mailto_address(integration=obj))
