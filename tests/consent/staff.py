"""Admin users for the compliance tests: marketers of one team, and superusers."""

from __future__ import annotations

from django.contrib.auth.models import Group, Permission, User

from tests.lists.factories import UserFactory

MARKETER_PERMISSIONS = ("view_consentevent", "view_contact", "view_downloadlog")


# Tests log in with force_login: no password to hash (PBKDF2 costs a second per user).
NO_PASSWORD = None


def marketer(team: Group, *extra: str, password: str | None = NO_PASSWORD) -> User:
    """A staff user of `team` who may look at consent (and `extra` permissions of consent)."""
    user = UserFactory.create(is_staff=True, password=password)
    user.groups.add(team)
    codenames = [*MARKETER_PERMISSIONS, *extra]
    user.user_permissions.add(
        *Permission.objects.filter(content_type__app_label="consent", codename__in=codenames)
    )
    return user


def superuser(password: str | None = NO_PASSWORD) -> User:
    return UserFactory.create(is_staff=True, is_superuser=True, password=password)
