"""Admin for journey platform opt-outs: what is pending or failed, a retry action, and the
consent export back to the platform (XDM JSON lines, streamed)."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseBase, StreamingHttpResponse
from django.template.response import TemplateResponse
from django.urls import URLPattern, path
from django.utils import timezone
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from consent.journey_selectors import consent_changes_for_export
from consent.models import JourneyOptOutRequest, JourneyRequestState
from consent.services.journey import retry_journey_requests
from lists.models import MailingList
from lists.teams import TeamScopedAdminMixin, register_team_lookup

register_team_lookup(JourneyOptOutRequest, "integration__team")


class ExportForm(forms.Form):
    mailing_list = forms.ModelChoiceField(
        label=_("list"), queryset=MailingList.objects.order_by("name")
    )
    since = forms.DateTimeField(
        label=_("changes since"),
        required=False,
        help_text=_("Empty: every change. Format: 2025-01-31 08:00."),
    )
    hashed_only = forms.BooleanField(
        label=_("hashed addresses only"),
        required=False,
        help_text=_("Identify people by SHA-256 of the address (Email_LC_SHA256) only."),
    )


class StateFilter(admin.SimpleListFilter):
    """Default to what needs a look: everything not recorded yet ("All" means that here)."""

    title = _("state (default: not recorded yet)")
    parameter_name = "state"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        states = [(value, str(label)) for value, label in JourneyRequestState.choices]
        return [*states, ("any", str(_("Any state, recorded ones included")))]

    def queryset(
        self, request: HttpRequest, queryset: QuerySet[JourneyOptOutRequest]
    ) -> QuerySet[JourneyOptOutRequest]:
        value = self.value()
        if value == "any":
            return queryset
        if value is None:
            return queryset.exclude(state=JourneyRequestState.DONE)
        return queryset.filter(state=value)


@admin.register(JourneyOptOutRequest)
class JourneyOptOutRequestAdmin(TeamScopedAdminMixin, admin.ModelAdmin):
    list_display = [
        "pk",
        "integration",
        "channel",
        "state",
        "attempts",
        "short_error",
        "received_at",
        "next_attempt_at",
        "done_at",
    ]
    list_filter = [StateFilter, "channel", "integration"]
    list_select_related = ["integration"]
    raw_id_fields = ["contact"]
    readonly_fields = [
        "integration",
        "channel",
        "params",
        "pid",
        "state",
        "attempts",
        "last_error",
        "next_attempt_at",
        "received_at",
        "done_at",
        "contact",
        "ip",
        "user_agent",
        "request_id",
    ]
    exclude = ["digest"]
    actions = ["retry"]
    date_hierarchy = "received_at"

    @admin.display(description=_("last error"))
    def short_error(self, obj: JourneyOptOutRequest) -> str:
        return Truncator(obj.last_error).chars(80)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # rows come from the platform only

    def has_delete_permission(
        self, request: HttpRequest, obj: JourneyOptOutRequest | None = None
    ) -> bool:
        return False  # an opt-out the platform handed us is never thrown away

    # Read-only rows, so "change" is the permission that lets a user act on them: a
    # view-only user (an auditor) sees the failures but cannot requeue them.
    @admin.action(
        description=_("Retry decrypting the selected opt-outs now"), permissions=["change"]
    )
    def retry(self, request: HttpRequest, queryset: QuerySet[JourneyOptOutRequest]) -> None:
        count = retry_journey_requests(
            journey_request_ids=list(queryset.values_list("pk", flat=True))
        )
        self.message_user(
            request,
            ngettext("%(count)d opt-out queued again.", "%(count)d opt-outs queued again.", count)
            % {"count": count},
            messages.SUCCESS,
        )

    def get_urls(self) -> list[URLPattern]:
        export = path(
            "export/",
            self.admin_site.admin_view(self.export_view),
            name="consent_journeyoptoutrequest_export",
        )
        return [export, *super().get_urls()]

    def export_view(self, request: HttpRequest) -> HttpResponseBase:
        """Consent changes of one list as XDM JSON lines, for the platform's batch ingestion."""
        if not self.has_view_permission(request):
            return HttpResponse(status=403)
        form = ExportForm(request.GET or None)
        if form.is_bound and form.is_valid():
            mailing_list = form.cleaned_data["mailing_list"]
            lines = consent_changes_for_export(
                mailing_list=mailing_list,
                since=form.cleaned_data["since"],
                hashed_only=form.cleaned_data["hashed_only"],
            )
            stamp = timezone.now().strftime("%Y%m%dT%H%M%SZ")
            response = StreamingHttpResponse(lines, content_type="application/x-ndjson")
            response["Content-Disposition"] = (
                f'attachment; filename="consent-{mailing_list.slug}-{stamp}.jsonl"'
            )
            return response
        context = {
            **self.admin_site.each_context(request),
            "title": _("Export consent to the journey platform"),
            "form": form,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/consent/journey_export.html", context)
