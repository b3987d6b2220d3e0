"""Admin for consent: evidence read-only, suppressions searchable, changes only through services.

Nothing here saves a Suppression or a ConsentEvent itself: the change form, `save_model` and
delete run inside Django's own transaction, where a durable service cannot run, and they
would write no event. Consent changes are admin actions that call `unsubscribe` /
`resubscribe` with source `admin`. A marketer who is not a superuser sees only the rows of
lists whose team is one of their groups.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from consent import admin_compliance
from consent.addresses import HEX_MD5, HEX_SHA256, InvalidAddress, parse_address
from consent.models import ConsentEvent, Contact, OneClickReceipt, Source, Suppression
from consent.origins import Origin
from consent.services import resubscribe, unsubscribe
from lists.models import MailingList
from lists.teams import scope_to_teams, sees_everything, team_filter

CONSENT_PERMISSION = "consent.change_suppression"

if TYPE_CHECKING:  # ModelAdmin is generic only in the stubs
    ModelAdmin = admin.ModelAdmin[Any]
else:
    ModelAdmin = admin.ModelAdmin


def lists_for(request: HttpRequest) -> QuerySet[MailingList]:
    return scope_to_teams(MailingList.objects.order_by("name"), request.user, "team")


def admin_origin(request: HttpRequest) -> Origin:
    return Origin.from_request(
        request, source=Source.ADMIN, detail={"admin_user_id": request.user.pk}
    )


class AddressSearchMixin(ModelAdmin):
    """Search by an address (any spelling: case, punycode), its MD5 or its SHA-256."""

    contact_path = "contact"

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Any], search_term: str
    ) -> tuple[QuerySet[Any], bool]:
        term = search_term.strip().lower()
        if HEX_MD5.match(term):
            return queryset.filter(**{f"{self.contact_path}__md5": term}), False
        if HEX_SHA256.match(term):
            return queryset.filter(**{f"{self.contact_path}__sha256": term}), False
        if "@" in term:
            try:
                parsed = parse_address(term)
            except InvalidAddress:
                return super().get_search_results(request, queryset, search_term)
            return queryset.filter(self.address_condition(sha256=parsed.sha256)), False
        return super().get_search_results(request, queryset, search_term)

    def address_condition(self, *, sha256: str) -> Q:
        return Q(**{f"{self.contact_path}__sha256": sha256})


class ReadOnlyAdmin(ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_consent_permission(self, request: HttpRequest) -> bool:
        """May run the actions that opt people out or in (through the services)."""
        return request.user.has_perm(CONSENT_PERMISSION)


@admin.register(ConsentEvent)
class ConsentEventAdmin(AddressSearchMixin, ReadOnlyAdmin):
    list_display = [
        "occurred_at",
        "action",
        "scope",
        "level",
        "source",
        "changed",
        "mailing_list",
        "category",
        "contact",
        "mailer",
    ]
    list_filter = [
        "source",
        "action",
        "changed",
        "reason",
        ("mailing_list", admin.RelatedOnlyFieldListFilter),
        ("occurred_at", admin.DateFieldListFilter),
    ]
    search_fields = ["contact__address", "profile_key", "request_id", "reason"]
    search_help_text = _("An address, its MD5 or SHA-256, a profile key or a request id.")
    date_hierarchy = "occurred_at"
    list_select_related = ["mailing_list", "category", "contact", "mailer"]
    show_full_result_count = False  # the table only grows; counting it twice costs
    ordering = ["-occurred_at", "-pk"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[ConsentEvent]:
        return scope_to_teams(super().get_queryset(request), request.user, "mailing_list__team")


@admin.register(Suppression)
class SuppressionAdmin(AddressSearchMixin, ReadOnlyAdmin):
    list_display = ["__str__", "contact", "profile_key", "mailing_list", "category", "created_at"]
    list_filter = [
        ("mailing_list", admin.RelatedOnlyFieldListFilter),
        ("created_at", admin.DateFieldListFilter),
    ]
    search_fields = ["contact__address", "profile_key"]
    search_help_text = _("An address, its MD5 or SHA-256, or a profile key.")
    list_select_related = ["mailing_list", "category", "contact"]
    show_full_result_count = False
    actions = ["resubscribe_selected"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Suppression]:
        return scope_to_teams(super().get_queryset(request), request.user, "mailing_list__team")

    def address_condition(self, *, sha256: str) -> Q:
        # A channel-level row belongs to the person: find it through the address's profile.
        profile = Contact.objects.filter(sha256=sha256).exclude(profile_key="")
        return Q(contact__sha256=sha256) | Q(
            profile_key__in=profile.values_list("profile_key", flat=True)
        )

    @admin.action(
        description=_("Re-subscribe (lift the selected opt-outs)"), permissions=["consent"]
    )
    def resubscribe_selected(self, request: HttpRequest, queryset: QuerySet[Suppression]) -> None:
        origin = admin_origin(request)
        lifted = 0
        for suppression in queryset.select_related("contact", "mailing_list", "category"):
            contact = suppression.contact or (
                Contact.objects.filter(profile_key=suppression.profile_key).order_by("pk").first()
            )
            if contact is None:  # a person with no address left: nothing can opt them back in
                continue
            outcome = resubscribe(
                contact=contact,
                mailing_list=suppression.mailing_list,
                category=suppression.category,
                origin=origin,
            )
            lifted += outcome.changed
        self.message_user(
            request,
            ngettext("%(count)d opt-out lifted.", "%(count)d opt-outs lifted.", lifted)
            % {"count": lifted},
            messages.SUCCESS,
        )


class ChooseListForm(forms.Form):
    mailing_list = forms.ModelChoiceField(queryset=MailingList.objects.none(), label=_("List"))

    def __init__(self, *args: Any, lists: QuerySet[MailingList], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["mailing_list"].queryset = lists  # type: ignore[attr-defined]  # ModelChoiceField


@admin.register(Contact)
class ContactAdmin(AddressSearchMixin, ReadOnlyAdmin):
    list_display = ["__str__", "profile_key", "created_at"]
    search_fields = ["address", "profile_key"]
    search_help_text = _("An address, its MD5 or SHA-256, or a profile key.")
    show_full_result_count = False
    actions = ["unsubscribe_from_list", admin_compliance.forget_contacts]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Contact]:
        contacts = super().get_queryset(request)
        if sees_everything(request.user):
            return contacts
        # A contact is a team's when it has evidence or a suppression on one of its lists.
        ours = team_filter(request.user, "mailing_list__team")
        events = ConsentEvent.objects.filter(ours, contact=OuterRef("pk"))
        rows = Suppression.objects.filter(ours, contact=OuterRef("pk"))
        return contacts.filter(Exists(events) | Exists(rows))

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Any], search_term: str
    ) -> tuple[QuerySet[Any], bool]:
        term = search_term.strip().lower()
        for pattern, column in ((HEX_MD5, "md5"), (HEX_SHA256, "sha256")):
            if pattern.match(term):
                return queryset.filter(**{column: term}), False
        if "@" in term:
            try:
                return queryset.filter(sha256=parse_address(term).sha256), False
            except InvalidAddress:
                pass
        return admin.ModelAdmin.get_search_results(self, request, queryset, search_term)

    @admin.action(description=_("Unsubscribe from a list…"), permissions=["consent"])
    def unsubscribe_from_list(
        self, request: HttpRequest, queryset: QuerySet[Contact]
    ) -> HttpResponse | None:
        lists = lists_for(request)
        form = ChooseListForm(request.POST if "apply" in request.POST else None, lists=lists)
        if form.is_valid():
            mailing_list = form.cleaned_data["mailing_list"]
            origin = admin_origin(request)
            changed = sum(
                unsubscribe(contact=contact, mailing_list=mailing_list, origin=origin).changed
                for contact in queryset
            )
            self.message_user(
                request,
                ngettext(
                    "%(count)d contact unsubscribed from %(list)s.",
                    "%(count)d contacts unsubscribed from %(list)s.",
                    changed,
                )
                % {"count": changed, "list": mailing_list},
                messages.SUCCESS,
            )
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": _("Unsubscribe from a list"),
            "opts": self.model._meta,
            "form": form,
            "contacts": queryset,
            "action_checkbox_name": ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(
            request, "admin/consent/contact/unsubscribe_from_list.html", context
        )


# Capabilities with admin modules of their own; importing them registers their models.
@admin.register(OneClickReceipt)
class OneClickReceiptAdmin(ReadOnlyAdmin):
    """One-click opt-outs received and durable, that a worker has not recorded yet.

    Empty in the embedded mode, and within seconds with a broker: rows that stay here mean
    the workers or beat are not running (their opt-outs are safe and wait for them).
    """

    list_display = ["received_at", "mailing_list", "contact", "mailer", "ip", "request_id"]
    list_select_related = ["mailing_list", "contact", "mailer"]
    search_fields = ["request_id"]
    ordering = ["pk"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[OneClickReceipt]:
        return scope_to_teams(super().get_queryset(request), request.user, "mailing_list__team")


from consent import admin_journey, admin_sync  # noqa: E402, F401
