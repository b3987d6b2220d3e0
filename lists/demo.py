"""Demo data for `make run`: two lists, a mailer and one login per role. Safe to run again.

The newsletter shows every subscriber-facing feature: three categories and two unsubscribe
reasons, each translated into French and German, and the brand's colour, privacy link and
footer. The marketer gets what the consent and compliance admin pages need.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import Group, Permission, User
from django.db import transaction

from lists.keys import issue_api_key
from lists.models import (
    AllowedNetwork,
    Category,
    CategoryTranslation,
    ListTranslation,
    Mailer,
    MailerAccess,
    MailingList,
    ReasonMode,
    UnsubscribeReason,
    UnsubscribeReasonTranslation,
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

CATEGORY_TRANSLATIONS = {
    "news": {
        "fr": ("Actualités", "Les nouveautés, une fois par semaine."),
        "de": ("Neuigkeiten", "Was es Neues gibt, einmal pro Woche."),
    },
    "offers": {
        "fr": ("Offres", "Réductions et offres spéciales."),
        "de": ("Angebote", "Rabatte und Sonderangebote."),
    },
    "events": {
        "fr": ("Événements", "Invitations aux webinaires et aux rencontres."),
        "de": ("Veranstaltungen", "Einladungen zu Webinaren und Treffen."),
    },
}

# Reasons are asked (never required) because the list's reason mode is "optional".
REASONS = [
    (
        "too-many",
        "I receive too many emails",
        {"fr": "Je reçois trop d'e-mails", "de": "Ich bekomme zu viele E-Mails"},
    ),
    (
        "not-relevant",
        "The content is not relevant to me",
        {"fr": "Le contenu ne me concerne pas", "de": "Die Inhalte sind für mich nicht relevant"},
    ),
]

BRANDING = {
    "accent_color": "#6f42c1",
    "privacy_url": "https://example.com/privacy",
    "footer_text": "Demo Company, 1 Example Street, Springfield. You subscribed at example.com.",
}

# Thank-you title and text, and the footer in that language.
TRANSLATIONS = {
    "en": ("You are unsubscribed", "You will not receive the demo newsletter any more.", ""),
    "fr": (
        "Vous êtes désabonné",
        "Vous ne recevrez plus la lettre d'information de démo.",
        "Demo Company, 1 Example Street, Springfield. Vous vous êtes abonné sur example.com.",
    ),
    "de": (
        "Sie sind abgemeldet",
        "Sie erhalten den Demo-Newsletter nicht mehr.",
        "Demo Company, 1 Example Street, Springfield. Sie haben sich auf example.com angemeldet.",
    ),
}

ALLOWED_NETWORKS = [("127.0.0.0/8", "IPv4 loopback"), ("::1/128", "IPv6 loopback")]

# Marketers manage the whole lists app; other apps' models they may only look at, plus what
# the consent and compliance pages act with: opt-out / re-subscribe actions (change
# suppression), erasure (delete contact), imports, ESP connections and journey retries.
MARKETER_APPS_FULL = ["lists"]
MARKETER_APPS_VIEW = ["consent", "preferences"]
MARKETER_CONSENT_ACTIONS = [
    "change_suppression",
    "delete_contact",
    "add_importjob",
    "add_espconnection",
    "change_espconnection",
    "change_journeyoptoutrequest",
]
DEMO_API_KEY_NAME = "demo"


@dataclass(frozen=True)
class Login:
    role: str
    username: str
    password: str
    created: bool


@transaction.atomic(durable=True)
def seed_demo() -> list[Login]:
    team, _ = Group.objects.get_or_create(name=DEMO_TEAM)

    newsletter = _newsletter(team)
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
    # add() writes only what is missing: an older demo's marketer gains the newer pages.
    marketer.user_permissions.add(*_marketer_permissions())
    mailer_user, mailer_user_created = _user("mailer")
    mailer.users.add(mailer_user)  # add() of an existing link writes nothing

    return [
        Login("superuser", admin.get_username(), DEMO_USERS["admin"], admin_created),
        Login("marketer", marketer.get_username(), DEMO_USERS["marketer"], marketer_created),
        Login("mailer", mailer_user.get_username(), DEMO_USERS["mailer"], mailer_user_created),
    ]


def _newsletter(team: Group) -> MailingList:
    newsletter, created = MailingList.objects.get_or_create(
        slug="demo-newsletter",
        defaults={
            "name": "Demo newsletter",
            "team": team,
            "default_language": "en",
            "reason_mode": ReasonMode.OPTIONAL,
            **BRANDING,
        },
    )
    if not created:
        # Fill only what is still empty: a colour or footer changed in admin stays.
        blank = {
            field: value for field, value in BRANDING.items() if not getattr(newsletter, field)
        }
        if blank:
            MailingList.objects.filter(pk=newsletter.pk).update(**blank)
    for position, (slug, name, description) in enumerate(CATEGORIES):
        category, _ = Category.objects.get_or_create(
            mailing_list=newsletter,
            slug=slug,
            defaults={"name": name, "description": description, "position": position},
        )
        for language, (name_there, description_there) in CATEGORY_TRANSLATIONS[slug].items():
            CategoryTranslation.objects.get_or_create(
                category=category,
                language=language,
                defaults={"name": name_there, "description": description_there},
            )
    for position, (slug, label, labels) in enumerate(REASONS):
        reason, _ = UnsubscribeReason.objects.get_or_create(
            mailing_list=newsletter, slug=slug, defaults={"label": label, "position": position}
        )
        for language, label_there in labels.items():
            UnsubscribeReasonTranslation.objects.get_or_create(
                reason=reason, language=language, defaults={"label": label_there}
            )
    for language, (title, text, footer) in TRANSLATIONS.items():
        ListTranslation.objects.get_or_create(
            mailing_list=newsletter,
            language=language,
            defaults={"thank_you_title": title, "thank_you_text": text, "footer_text": footer},
        )
    return newsletter


@transaction.atomic(durable=True)
def issue_demo_api_key() -> str:
    """A new API key for the demo mailer (run the demo first); the clear key, shown once."""
    mailer = Mailer.objects.get(name="demo-mailer")
    _, clear = issue_api_key(mailer=mailer, name=DEMO_API_KEY_NAME)
    return clear


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
    act = Permission.objects.filter(
        content_type__app_label="consent", codename__in=MARKETER_CONSENT_ACTIONS
    )
    return list(full | view | act)
