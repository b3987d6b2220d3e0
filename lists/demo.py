"""Demo data for `make run`: two lists, a mailer and one login per role. Safe to run again."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import Group, Permission, User
from django.db import transaction

from lists.models import (
    AllowedNetwork,
    Category,
    ListTranslation,
    Mailer,
    MailerAccess,
    MailingList,
)

DEMO_TEAM = "demo"

# Demo passwords are public by design (printed by `manage.py demo`); they are set only when
# the user is created, so a password changed afterwards stays changed.
DEMO_USERS = {
    "admin": "demo-admin-password",
    "marketer": "demo-marketer-password",
    "mailer": "demo-mailer-password",
}

CATEGORIES = [
    ("news", "News", "What is new, once a week."),
    ("offers", "Offers", "Discounts and special offers."),
    ("events", "Events", "Invitations to webinars and meet-ups."),
]

TRANSLATIONS = {
    "en": ("You are unsubscribed", "You will not receive the demo newsletter any more."),
    "fr": ("Vous êtes désabonné", "Vous ne recevrez plus la lettre d'information de démo."),
    "de": ("Sie sind abgemeldet", "Sie erhalten den Demo-Newsletter nicht mehr."),
}

ALLOWED_NETWORKS = [("127.0.0.0/8", "IPv4 loopback"), ("::1/128", "IPv6 loopback")]

# Marketers manage the whole lists app; other apps' models they may only look at.
MARKETER_APPS_FULL = ["lists"]
MARKETER_APPS_VIEW = ["consent", "preferences"]


@dataclass(frozen=True)
class Login:
    role: str
    username: str
    password: str
    created: bool


@transaction.atomic(durable=True)
def seed_demo() -> list[Login]:
    team, _ = Group.objects.get_or_create(name=DEMO_TEAM)

    newsletter, _ = MailingList.objects.get_or_create(
        slug="demo-newsletter",
        defaults={"name": "Demo newsletter", "team": team, "default_language": "en"},
    )
    for position, (slug, name, description) in enumerate(CATEGORIES):
        Category.objects.get_or_create(
            mailing_list=newsletter,
            slug=slug,
            defaults={"name": name, "description": description, "position": position},
        )
    for language, (title, text) in TRANSLATIONS.items():
        ListTranslation.objects.get_or_create(
            mailing_list=newsletter,
            language=language,
            defaults={"thank_you_title": title, "thank_you_text": text},
        )
    MailingList.objects.get_or_create(
        slug="demo-transactional",
        defaults={"name": "Demo transactional", "team": team, "transactional": True},
    )

    mailer, _ = Mailer.objects.get_or_create(name="demo-mailer", defaults={"team": team})
    MailerAccess.objects.get_or_create(mailer=mailer, mailing_list=newsletter)
    for cidr, note in ALLOWED_NETWORKS:
        AllowedNetwork.objects.get_or_create(mailer=mailer, cidr=cidr, defaults={"note": note})

    admin, admin_created = _user("admin", is_staff=True, is_superuser=True)
    marketer, marketer_created = _user("marketer", is_staff=True)
    if marketer_created:
        marketer.groups.add(team)
        marketer.user_permissions.set(_marketer_permissions())
    mailer_user, mailer_user_created = _user("mailer")
    mailer.users.add(mailer_user)  # add() of an existing link writes nothing

    return [
        Login("superuser", admin.get_username(), DEMO_USERS["admin"], admin_created),
        Login("marketer", marketer.get_username(), DEMO_USERS["marketer"], marketer_created),
        Login("mailer", mailer_user.get_username(), DEMO_USERS["mailer"], mailer_user_created),
    ]


def _user(
    username: str, *, is_staff: bool = False, is_superuser: bool = False
) -> tuple[User, bool]:
    # The demo targets Django's own User model, the one this project uses.
    user = User.objects.filter(username=username).first()
    if user is not None:
        return user, False
    user = User(
        username=username,
        email=f"{username}@example.com",
        is_staff=is_staff,
        is_superuser=is_superuser,
    )
    user.set_password(DEMO_USERS[username])
    user.save()
    return user, True


def _marketer_permissions() -> list[Permission]:
    full = Permission.objects.filter(content_type__app_label__in=MARKETER_APPS_FULL)
    view = Permission.objects.filter(
        content_type__app_label__in=MARKETER_APPS_VIEW, codename__startswith="view_"
    )
    return list(full | view)
