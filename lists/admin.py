"""Admin for what the marketer configures."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from lists.models import (
    Category,
    CategoryTranslation,
    UnsubscribeReason,
    UnsubscribeReasonTranslation,
)

# ---------------------------------------------------------------------------------------------
# Preference center (issue 5): category translations, unsubscribe reasons, branding.
# MailingListAdmin (written elsewhere) adds `PREFERENCE_CENTER_FIELDSETS` to its fieldsets and
# `UnsubscribeReasonInline` to its inlines; Category and UnsubscribeReason get their own pages
# because their translations are inlines of their own (admin inlines do not nest).
# ---------------------------------------------------------------------------------------------

PREFERENCE_CENTER_FIELDSETS = (
    (
        _("Preference center"),
        {"fields": ("reason_mode",)},
    ),
    (
        _("Branding"),
        {"fields": ("logo_url", "accent_color", "privacy_url", "footer_text")},
    ),
)


class CategoryTranslationInline(admin.TabularInline):
    model = CategoryTranslation
    extra = 0
    fields = ("language", "name", "description")


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ("name", "mailing_list", "slug", "position")
    list_filter = ("mailing_list",)
    list_select_related = ("mailing_list",)
    search_fields = ("name", "slug", "mailing_list__name")
    ordering = ("mailing_list__name", "position", "name")
    prepopulated_fields = {"slug": ("name",)}
    inlines = [CategoryTranslationInline]


class UnsubscribeReasonInline(admin.TabularInline):
    """On the list's page: the reasons offered; translate them on each reason's page."""

    model = UnsubscribeReason
    extra = 0
    fields = ("position", "label", "slug")
    prepopulated_fields = {"slug": ("label",)}
    show_change_link = True


class UnsubscribeReasonTranslationInline(admin.TabularInline):
    model = UnsubscribeReasonTranslation
    extra = 0
    fields = ("language", "label")


@admin.register(UnsubscribeReason)
class UnsubscribeReasonAdmin(admin.ModelAdmin):
    list_display = ("label", "mailing_list", "slug", "position")
    list_filter = ("mailing_list",)
    list_select_related = ("mailing_list",)
    search_fields = ("label", "slug", "mailing_list__name")
    ordering = ("mailing_list__name", "position", "pk")
    prepopulated_fields = {"slug": ("label",)}
    inlines = [UnsubscribeReasonTranslationInline]
