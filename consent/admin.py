"""Consent admin. Journey platform opt-outs live in their own module (issue 9)."""

from consent import admin_journey  # noqa: F401  # registers its ModelAdmin
