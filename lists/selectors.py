"""Reads about lists and mailers that more than one view needs."""

from __future__ import annotations

from uuid import UUID

from django.db.models import Prefetch, QuerySet

from lists.models import AllowedNetwork, Category, Mailer, MailerAccess, MailerApiKey


def accesses_for_mailer(*, mailer: Mailer) -> QuerySet[MailerAccess]:
    """The lists a mailer may use, with their categories, in list-name order."""
    return (
        MailerAccess.objects.filter(mailer=mailer)
        .select_related("mailing_list")
        .prefetch_related(
            Prefetch("mailing_list__categories", queryset=Category.objects.order_by("position"))
        )
        .order_by("mailing_list__name", "pk")
    )


def access_for_list(*, mailer: Mailer, list_uuid: UUID | str) -> MailerAccess | None:
    """The mailer's access to one list, or None when it has none (or the list is unknown)."""
    return (
        MailerAccess.objects.select_related("mailing_list", "mailer")
        .filter(mailer=mailer, mailing_list__uuid=list_uuid)
        .first()
    )


def networks_for_mailer(*, mailer: Mailer) -> list[str]:
    return list(AllowedNetwork.objects.filter(mailer=mailer).values_list("cidr", flat=True))


def api_keys_for_mailer(*, mailer: Mailer) -> QuerySet[MailerApiKey]:
    return MailerApiKey.objects.filter(mailer=mailer).order_by("revoked", "-created")
