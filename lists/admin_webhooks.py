"""Admin for outbound webhook endpoints."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _

from lists.models import Webhook, WebhookEventType
from lists.teams import TeamScopedAdminMixin, register_team_lookup

register_team_lookup(Webhook, "team")


class WebhookForm(forms.ModelForm):
    event_types = forms.MultipleChoiceField(
        label=_("event types"),
        choices=WebhookEventType.choices,
        widget=forms.CheckboxSelectMultiple,
        initial=[WebhookEventType.OPT_OUT],
    )

    class Meta:
        model = Webhook
        fields = ["name", "url", "team", "lists", "event_types", "active"]


@admin.register(Webhook)
class WebhookAdmin(TeamScopedAdminMixin, admin.ModelAdmin):
    form = WebhookForm
    list_display = ["name", "url", "team", "active", "created_at"]
    list_filter = ["active", "team"]
    list_select_related = ["team"]
    filter_horizontal = ["lists"]
    search_fields = ["name", "url"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Webhook]:
        endpoints = super().get_queryset(request)
        if request.user.is_superuser:
            return endpoints
        return endpoints.filter(team__in=request.user.groups.all())

    def response_add(
        self, request: HttpRequest, obj: Webhook, post_url_continue: str | None = None
    ) -> HttpResponse:
        # The secret is shown this once; the form never displays it again.
        self.message_user(
            request,
            _("Signing secret for %(name)s: %(secret)s — copy it now, it is not shown again.")
            % {"name": obj.name, "secret": obj.secret},
            messages.WARNING,
        )
        return super().response_add(request, obj, post_url_continue)
