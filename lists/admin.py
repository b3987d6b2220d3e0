"""The lists app in Django admin, for marketers: every admin here is scoped to the user's teams."""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.db.models import Count, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from lists import services
from lists.errors import InvalidNetwork
from lists.models import (
    AllowedNetwork,
    Category,
    CategoryTranslation,
    ListTranslation,
    Mailer,
    MailerAccess,
    MailingList,
    UnsubscribeReason,
    UnsubscribeReasonTranslation,
)
from lists.networks import normalize_network
from lists.teams import TeamScopedAdminMixin


class AllowedNetworkForm(forms.ModelForm):
    class Meta:
        model = AllowedNetwork
        fields = ["mailer", "cidr", "note"]

    def clean_cidr(self) -> str:
        # Normalized here, not only in the model, so the uniqueness checks of the form and
        # of an inline formset compare the stored spelling ("::1/128", not "0::1").
        try:
            return normalize_network(self.cleaned_data.get("cidr") or "")
        except InvalidNetwork as exc:
            raise ValidationError(exc.text, code=exc.code) from exc


# Inlines -------------------------------------------------------------------------------


class ChoicesOnceInlineMixin:
    """Evaluate foreign-key choices once per formset, not once per inline row.

    A select (or an autocomplete's selected option) re-runs its queryset for every row it
    renders; a list fixed when the formset class is built keeps the page at one query.
    Validation still goes through the (team-scoped) queryset.
    """

    def formfield_for_foreignkey(
        self, db_field: models.ForeignKey[Any, Any], request: HttpRequest, **kwargs: Any
    ) -> forms.ModelChoiceField | None:
        formfield = super().formfield_for_foreignkey(db_field, request, **kwargs)  # type: ignore[misc]  # combined with an InlineModelAdmin
        if formfield is not None:
            formfield.choices = list(formfield.choices)
        return formfield


class CategoryInline(TeamScopedAdminMixin, admin.TabularInline):
    model = Category
    fields = ["position", "name", "slug", "description"]
    prepopulated_fields = {"slug": ["name"]}
    extra = 0
    formfield_overrides = {
        # A one-line description keeps the tabular inline readable.
        models.TextField: {"widget": forms.Textarea(attrs={"rows": 2, "cols": 40})},
    }


class CategoryTranslationInline(TeamScopedAdminMixin, admin.TabularInline):
    model = CategoryTranslation
    fields = ["language", "name", "description"]
    extra = 0


class UnsubscribeReasonInline(TeamScopedAdminMixin, admin.TabularInline):
    model = UnsubscribeReason
    fields = ["position", "label", "slug"]
    prepopulated_fields = {"slug": ["label"]}
    extra = 0
    show_change_link = True  # translations are edited on the reason's own page


class UnsubscribeReasonTranslationInline(TeamScopedAdminMixin, admin.TabularInline):
    model = UnsubscribeReasonTranslation
    fields = ["language", "label"]
    extra = 0


class ListTranslationInline(TeamScopedAdminMixin, admin.StackedInline):
    model = ListTranslation
    fields = [
        "language",
        "display_name",
        "thank_you_title",
        "thank_you_text",
        "footer_text",
        ("redirect_url", "redirect_value", "redirect_parameter"),
    ]
    # Redirects go to the brand's site, which is served over HTTPS.
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    extra = 0


class ListAccessInline(ChoicesOnceInlineMixin, TeamScopedAdminMixin, admin.TabularInline):
    model = MailerAccess
    fk_name = "mailing_list"
    fields = ["mailer", "can_download", "can_notify", "pixel_key"]
    readonly_fields = ["pixel_key"]
    verbose_name_plural = _("mailers with access to this list")
    extra = 0

    def get_queryset(self, request: HttpRequest) -> QuerySet[MailerAccess]:
        # Both sides: the row's label is "mailer → list".
        return super().get_queryset(request).select_related("mailer", "mailing_list")


class MailerAccessInline(ChoicesOnceInlineMixin, TeamScopedAdminMixin, admin.TabularInline):
    model = MailerAccess
    fk_name = "mailer"
    fields = ["mailing_list", "can_download", "can_notify", "pixel_key"]
    readonly_fields = ["pixel_key"]
    verbose_name_plural = _("lists this mailer may use")
    extra = 0

    def get_queryset(self, request: HttpRequest) -> QuerySet[MailerAccess]:
        # Both sides: the row's label is "mailer → list".
        return super().get_queryset(request).select_related("mailer", "mailing_list")


class AllowedNetworkInline(TeamScopedAdminMixin, admin.TabularInline):
    model = AllowedNetwork
    form = AllowedNetworkForm
    fields = ["cidr", "note"]
    extra = 0


# Lists ---------------------------------------------------------------------------------


@admin.register(MailingList)
class MailingListAdmin(TeamScopedAdminMixin, admin.ModelAdmin):
    list_display = [
        "name",
        "slug",
        "team",
        "consent_level",
        "header_mode",
        "category_count",
        "mailer_count",
        "service_links_button",
    ]
    list_select_related = ["team"]
    list_filter = [
        ("team", admin.RelatedOnlyFieldListFilter),
        "consent_level",
        "transactional",
        "one_click_enabled",
        "mailto_enabled",
        "default_language",
    ]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    readonly_fields = ["uuid", "created_at", "service_links_button"]
    fieldsets = [
        (None, {"fields": ["name", "slug", "team", "default_language", "consent_level"]}),
        (
            _("List-Unsubscribe header"),
            {"fields": ["transactional", "one_click_enabled", "mailto_enabled"]},
        ),
        (_("Preference center"), {"fields": ["reason_mode"]}),
        (_("Branding"), {"fields": ["logo_url", "accent_color", "privacy_url", "footer_text"]}),
        (_("Links"), {"fields": ["uuid", "service_links_button", "created_at"]}),
    ]
    inlines = [CategoryInline, ListTranslationInline, ListAccessInline, UnsubscribeReasonInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[MailingList]:
        return (
            super()
            .get_queryset(request)
            .annotate(
                category_total=Count("categories", distinct=True),
                mailer_total=Count("accesses", distinct=True),
            )
            # Counting groups rows, which drops the model's default ordering for paginators.
            .order_by("name", "pk")
        )

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[MailingList], search_term: str
    ) -> tuple[QuerySet[MailingList], bool]:
        queryset, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        # Mailers quote a list by its public id; only a well-formed one is looked up.
        try:
            public_id = uuid.UUID(search_term.strip())
        except ValueError:
            return queryset, may_have_duplicates
        by_uuid = self.get_queryset(request).filter(uuid=public_id)
        return queryset | by_uuid, may_have_duplicates

    def get_changeform_initial_data(self, request: HttpRequest) -> dict[str, Any]:
        initial = super().get_changeform_initial_data(request)
        teams = list(request.user.groups.values_list("pk", flat=True)[:2])
        if len(teams) == 1:  # the common case: a marketer in one team
            initial.setdefault("team", teams[0])
        return initial

    @admin.display(description=_("header"))
    def header_mode(self, obj: MailingList) -> str:
        if obj.transactional:
            return str(_("omitted (transactional)"))
        parts = []
        if obj.one_click_enabled:
            parts.append(str(_("one-click")))
        if obj.mailto_enabled:
            parts.append(str(_("mailto")))
        return ", ".join(parts) or str(_("link only"))

    @admin.display(description=_("categories"), ordering="category_total")
    def category_count(self, obj: MailingList) -> int:
        return getattr(obj, "category_total", 0)

    @admin.display(description=_("mailers"), ordering="mailer_total")
    def mailer_count(self, obj: MailingList) -> int:
        return getattr(obj, "mailer_total", 0)

    @admin.display(description=_("service links"))
    def service_links_button(self, obj: MailingList) -> str:
        if obj.pk is None:
            return "—"
        url = reverse("admin:lists_mailinglist_service_links", args=[obj.pk])
        return format_html('<a class="button" href="{}">{}</a>', url, _("Service links"))

    def get_urls(self) -> list[URLPattern]:
        return [
            path(
                "<path:object_id>/service-links/",
                self.admin_site.admin_view(self.service_links_view),
                name="lists_mailinglist_service_links",
            ),
            *super().get_urls(),
        ]

    def service_links_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        # get_object answers 404 for a missing list and for another team's.
        mailing_list = self.get_object(request, unquote(object_id))
        if not isinstance(mailing_list, MailingList):
            raise Http404
        if not self.has_view_or_change_permission(request, mailing_list):
            raise PermissionDenied
        accesses = mailing_list.accesses.select_related("mailer").order_by("mailer__name")
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": mailing_list,
            "title": _("Service links of %(list)s") % {"list": mailing_list},
            "subtitle": None,
            "links": services.service_links(mailing_list=mailing_list),
            "accesses": [
                {
                    "access": access,
                    "pixel_url": services.pixel_url(access=access),
                    "pixel_snippet": services.pixel_snippet(access=access),
                }
                for access in accesses
            ],
            "placeholders": [services.TOKEN_PLACEHOLDER, services.EMAIL_PLACEHOLDER],
        }
        return TemplateResponse(request, "admin/lists/mailinglist/service_links.html", context)


@admin.register(Category)
class CategoryAdmin(TeamScopedAdminMixin, admin.ModelAdmin):
    list_display = ["name", "slug", "mailing_list", "position"]
    list_select_related = ["mailing_list"]
    list_filter = [("mailing_list", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["name", "slug", "mailing_list__name"]
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["mailing_list"]
    inlines = [CategoryTranslationInline]


@admin.register(UnsubscribeReason)
class UnsubscribeReasonAdmin(TeamScopedAdminMixin, admin.ModelAdmin):
    list_display = ["label", "slug", "mailing_list", "position"]
    list_select_related = ["mailing_list"]
    list_filter = [("mailing_list", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["label", "slug", "mailing_list__name"]
    autocomplete_fields = ["mailing_list"]
    inlines = [UnsubscribeReasonTranslationInline]


@admin.register(ListTranslation)
class ListTranslationAdmin(TeamScopedAdminMixin, admin.ModelAdmin):
    list_display = ["mailing_list", "language", "thank_you_title", "redirect_url"]
    list_select_related = ["mailing_list"]
    list_filter = ["language", ("mailing_list", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["mailing_list__name", "thank_you_title"]
    autocomplete_fields = ["mailing_list"]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}


# Mailers -------------------------------------------------------------------------------


@admin.register(Mailer)
class MailerAdmin(TeamScopedAdminMixin, admin.ModelAdmin):
    list_display = ["name", "team", "list_count", "network_count", "user_count", "created_at"]
    list_select_related = ["team"]
    list_filter = [("team", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["name"]
    filter_horizontal = ["users"]
    fields = ["name", "team", "users"]
    inlines = [MailerAccessInline, AllowedNetworkInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Mailer]:
        return (
            super()
            .get_queryset(request)
            .annotate(
                list_total=Count("accesses", distinct=True),
                network_total=Count("networks", distinct=True),
                user_total=Count("users", distinct=True),
            )
            # Counting groups rows, which drops the model's default ordering for paginators.
            .order_by("name", "pk")
        )

    def get_changeform_initial_data(self, request: HttpRequest) -> dict[str, Any]:
        initial = super().get_changeform_initial_data(request)
        teams = list(request.user.groups.values_list("pk", flat=True)[:2])
        if len(teams) == 1:
            initial.setdefault("team", teams[0])
        return initial

    @admin.display(description=_("lists"), ordering="list_total")
    def list_count(self, obj: Mailer) -> int:
        return getattr(obj, "list_total", 0)

    @admin.display(description=_("allowed networks"), ordering="network_total")
    def network_count(self, obj: Mailer) -> int:
        return getattr(obj, "network_total", 0)

    @admin.display(description=_("portal users"), ordering="user_total")
    def user_count(self, obj: Mailer) -> int:
        return getattr(obj, "user_total", 0)


@admin.register(MailerAccess)
class MailerAccessAdmin(TeamScopedAdminMixin, admin.ModelAdmin):
    list_display = ["mailer", "mailing_list", "can_download", "can_notify"]
    list_select_related = ["mailer", "mailing_list"]
    list_filter = [
        ("mailing_list", admin.RelatedOnlyFieldListFilter),
        ("mailer", admin.RelatedOnlyFieldListFilter),
        "can_download",
        "can_notify",
    ]
    search_fields = ["mailer__name", "mailing_list__name"]
    readonly_fields = ["pixel_key"]
    autocomplete_fields = ["mailer", "mailing_list"]


@admin.register(AllowedNetwork)
class AllowedNetworkAdmin(TeamScopedAdminMixin, admin.ModelAdmin):
    form = AllowedNetworkForm
    list_display = ["cidr", "mailer", "note"]
    list_select_related = ["mailer"]
    list_filter = [("mailer", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["cidr", "note", "mailer__name"]
    autocomplete_fields = ["mailer"]


# Capabilities with admin modules of their own; importing them registers their models.
from lists import admin_api, admin_journey, admin_webhooks  # noqa: E402, F401
