"""Teams: a list and a mailer belong to one Django group; marketers see only their groups' rows.

Every admin of a team-owned model mixes in `TeamScopedAdminMixin` and names the lookup from
its model to the owning group (`team_lookup = "mailing_list__team"`). Foreign-key and
many-to-many choices are narrowed with the lookups registered in `TEAM_LOOKUPS`, so a
marketer can neither see nor pick another team's list, mailer or group, whichever form asks.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, Group
from django.core.exceptions import ImproperlyConfigured
from django.db import models
from django.db.models import Q
from django.forms import ModelChoiceField, ModelMultipleChoiceField
from django.http import Http404, HttpRequest

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

if TYPE_CHECKING:
    _AdminBase = Any  # the mixin is combined with ModelAdmin or InlineModelAdmin
else:
    _AdminBase = object

# Admin hands over request.user; anything but a full User (or anonymous) sees nothing.
UserLike = AbstractBaseUser | AnonymousUser
QuerySetT = TypeVar("QuerySetT", bound=models.QuerySet[Any])

# Model -> lookup from it to its owning Group. Other apps add their models with
# `register_team_lookup` so foreign keys pointing at them are narrowed too.
TEAM_LOOKUPS: dict[type[models.Model], str] = {
    Group: "",
    MailingList: "team",
    Mailer: "team",
    Category: "mailing_list__team",
    ListTranslation: "mailing_list__team",
    # The list's owner decides who may use it, so an access belongs to the list's team.
    MailerAccess: "mailing_list__team",
    AllowedNetwork: "mailer__team",
    CategoryTranslation: "category__mailing_list__team",
    UnsubscribeReason: "mailing_list__team",
    UnsubscribeReasonTranslation: "reason__mailing_list__team",
}


def register_team_lookup(model: type[models.Model], lookup: str) -> None:
    TEAM_LOOKUPS[model] = lookup


def sees_everything(user: UserLike) -> bool:
    return bool(user.is_active and getattr(user, "is_superuser", False))


def team_filter(user: UserLike, lookup: str) -> Q:
    """The rows whose group (reached through `lookup`) is one of the user's groups."""
    field = f"{lookup}__in" if lookup else "pk__in"
    if not user.is_authenticated or not user.is_active:
        return Q(pk__in=[])
    return Q(**{field: Group.objects.filter(user__pk=user.pk).values("pk")})


def scope_to_teams(queryset: QuerySetT, user: UserLike, lookup: str) -> QuerySetT:
    if sees_everything(user):
        return queryset
    return queryset.filter(team_filter(user, lookup))


def portal_users_for(user: UserLike) -> models.QuerySet[Any]:
    """Users a marketer may attach to a mailer: active non-staff users free or of their team."""
    users = get_user_model().objects.filter(is_active=True).order_by("username")
    if sees_everything(user):
        return users
    return (
        users.filter(is_staff=False)
        .filter(
            Q(mailers__isnull=True)
            | Q(mailers__in=scope_to_teams(Mailer.objects.all(), user, "team"))
        )
        .distinct()
    )


class TeamScopedAdminMixin(_AdminBase):
    """Narrow an admin (or an inline) to the rows of the requesting user's teams.

    Rows of other teams are absent from the changelist, their change, delete, history and
    custom pages answer 404, and no choice field offers them.
    """

    team_lookup: str | None = None

    def get_team_lookup(self) -> str:
        lookup = self.team_lookup
        if lookup is None:
            lookup = TEAM_LOOKUPS.get(self.model)
        if lookup is None:
            raise ImproperlyConfigured(
                f"{type(self).__name__} needs a team_lookup: the path from "
                f"{self.model.__name__} to its team (a Group)."
            )
        return lookup

    def get_queryset(self, request: HttpRequest) -> models.QuerySet[Any]:
        queryset = super().get_queryset(request)
        return scope_to_teams(queryset, request.user, self.get_team_lookup())

    def get_object(
        self, request: HttpRequest, object_id: str, from_field: str | None = None
    ) -> models.Model | None:
        # Admin would redirect to its index with "doesn't exist"; a plain 404 says the same
        # for another team's row and a missing one, and tests can tell it from success.
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            raise Http404
        return obj

    def formfield_for_foreignkey(
        self, db_field: models.ForeignKey[Any, Any], request: HttpRequest, **kwargs: Any
    ) -> ModelChoiceField | None:
        formfield = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if formfield is not None:
            self._narrow_choices(formfield, db_field.related_model, request)
        return formfield

    def formfield_for_manytomany(
        self, db_field: models.ManyToManyField[Any, Any], request: HttpRequest, **kwargs: Any
    ) -> ModelMultipleChoiceField | None:
        formfield = super().formfield_for_manytomany(db_field, request, **kwargs)
        if formfield is not None:
            related = db_field.related_model
            if related is get_user_model():
                formfield.queryset = portal_users_for(request.user)
            else:
                self._narrow_choices(formfield, related, request)
        return formfield

    def _narrow_choices(
        self, formfield: ModelChoiceField, related: Any, request: HttpRequest
    ) -> None:
        lookup = TEAM_LOOKUPS.get(related)
        if lookup is not None and formfield.queryset is not None:
            formfield.queryset = scope_to_teams(formfield.queryset, request.user, lookup)
