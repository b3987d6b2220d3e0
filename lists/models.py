"""What the marketer configures: lists, categories, translations, mailers and their access."""

from __future__ import annotations

import secrets
import uuid

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from lists.errors import InvalidNetwork
from lists.networks import normalize_network


class ConsentLevel(models.TextChoices):
    IDENTITY = "identity", _("Identity: the opt-out covers that one address")
    CHANNEL = "channel", _("Channel: the opt-out covers every address of the person")


class RedirectValue(models.TextChoices):
    NOTHING = "", _("Nothing")
    EMAIL = "email", _("The address")
    MD5 = "md5", _("MD5 of the address")


def new_pixel_key() -> str:
    return secrets.token_urlsafe(18)


def default_honour_hours() -> int:
    return settings.OPTOUT_HONOUR_DEADLINE_HOURS


def language_choices() -> list[tuple[str, str]]:
    return [(code, str(name)) for code, name in settings.LANGUAGES]


class MailingList(models.Model):
    uuid = models.UUIDField(_("public id"), default=uuid.uuid4, unique=True, editable=False)
    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    name = models.CharField(_("name"), max_length=200)
    team = models.ForeignKey(
        Group,
        verbose_name=_("team"),
        on_delete=models.PROTECT,
        related_name="mailing_lists",
        help_text=_("Marketers of this group manage the list."),
    )
    default_language = models.CharField(
        _("default language"), max_length=10, choices=language_choices, default="en"
    )
    consent_level = models.CharField(
        _("consent level"),
        max_length=16,
        choices=ConsentLevel.choices,
        default=ConsentLevel.IDENTITY,
    )
    mailto_enabled = models.BooleanField(
        _("mailto unsubscribe"), default=True, help_text=_("Offer a mailto: address in the header.")
    )
    one_click_enabled = models.BooleanField(
        _("one-click unsubscribe"),
        default=True,
        help_text=_("Offer the RFC 8058 one-click URL and List-Unsubscribe-Post."),
    )
    transactional = models.BooleanField(
        _("transactional"),
        default=False,
        help_text=_("Transactional mail carries no List-Unsubscribe header at all."),
    )
    honour_within_hours = models.PositiveIntegerField(
        _("opt-out deadline (hours)"),
        default=default_honour_hours,
        validators=[MinValueValidator(1)],
        help_text=_(
            "A mailer is late when an opt-out older than this has not reached it "
            "(Gmail and Yahoo ask for 48 hours at most)."
        ),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("mailing list")
        verbose_name_plural = _("mailing lists")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Category(models.Model):
    mailing_list = models.ForeignKey(
        MailingList, on_delete=models.CASCADE, related_name="categories", verbose_name=_("list")
    )
    slug = models.SlugField(_("slug"), max_length=80)
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        ordering = ["mailing_list", "position", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["mailing_list", "slug"], name="category_unique_slug_per_list"
            )
        ]

    def __str__(self) -> str:
        return self.name


class ListTranslation(models.Model):
    mailing_list = models.ForeignKey(
        MailingList, on_delete=models.CASCADE, related_name="translations", verbose_name=_("list")
    )
    language = models.CharField(_("language"), max_length=10, choices=language_choices)
    thank_you_title = models.CharField(_("thank-you title"), max_length=200, blank=True)
    thank_you_text = models.TextField(_("thank-you text"), blank=True)
    redirect_url = models.URLField(
        _("redirect URL"),
        max_length=500,
        blank=True,
        help_text=_("After an opt-out, send the subscriber here instead of the thank-you page."),
    )
    redirect_value = models.CharField(
        _("value passed to the redirect"),
        max_length=8,
        choices=RedirectValue.choices,
        default=RedirectValue.NOTHING,
        blank=True,
    )
    redirect_parameter = models.CharField(
        _("query parameter name"), max_length=40, default="email", blank=True
    )

    class Meta:
        verbose_name = _("list translation")
        verbose_name_plural = _("list translations")
        ordering = ["mailing_list", "language"]
        constraints = [
            models.UniqueConstraint(
                fields=["mailing_list", "language"], name="listtranslation_unique_language"
            )
        ]

    def __str__(self) -> str:
        return f"{self.mailing_list} ({self.language})"

    def clean(self) -> None:
        if self.redirect_value and not self.redirect_url:
            raise ValidationError(
                {"redirect_value": _("A value can only be passed to a redirect URL.")}
            )
        if self.redirect_value and not self.redirect_parameter:
            raise ValidationError(
                {"redirect_parameter": _("Name the query parameter that carries the value.")}
            )


class Mailer(models.Model):
    """A partner company that sends on the brand's behalf."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    team = models.ForeignKey(
        Group,
        verbose_name=_("team"),
        on_delete=models.PROTECT,
        related_name="mailers",
        help_text=_("Marketers of this group manage the mailer."),
    )
    users = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="mailers",
        verbose_name=_("portal users"),
        help_text=_("People of this mailer who may log in to the portal."),
    )
    lists = models.ManyToManyField(
        MailingList, through="MailerAccess", related_name="mailers", verbose_name=_("lists")
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("mailer")
        verbose_name_plural = _("mailers")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class MailerAccess(models.Model):
    mailer = models.ForeignKey(
        Mailer, on_delete=models.CASCADE, related_name="accesses", verbose_name=_("mailer")
    )
    mailing_list = models.ForeignKey(
        MailingList, on_delete=models.CASCADE, related_name="accesses", verbose_name=_("list")
    )
    can_download = models.BooleanField(_("may download suppressions"), default=True)
    can_notify = models.BooleanField(_("may report opt-outs"), default=True)
    # Public: it sits in the mailer's HTML. It only ever records opt-outs, never reads.
    pixel_key = models.CharField(
        _("pixel key"), max_length=40, unique=True, default=new_pixel_key, editable=False
    )

    class Meta:
        verbose_name = _("mailer access")
        verbose_name_plural = _("mailer accesses")
        constraints = [
            models.UniqueConstraint(
                fields=["mailer", "mailing_list"], name="maileraccess_unique_mailer_list"
            )
        ]

    def __str__(self) -> str:
        return f"{self.mailer} → {self.mailing_list}"


class AllowedNetwork(models.Model):
    mailer = models.ForeignKey(
        Mailer, on_delete=models.CASCADE, related_name="networks", verbose_name=_("mailer")
    )
    cidr = models.CharField(
        _("network"),
        max_length=49,
        help_text=_("IPv4 or IPv6 network in CIDR notation, e.g. 192.0.2.0/24 or 2001:db8::/32."),
    )
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("allowed network")
        verbose_name_plural = _("allowed networks")
        ordering = ["mailer", "cidr"]
        constraints = [
            models.UniqueConstraint(fields=["mailer", "cidr"], name="allowednetwork_unique_cidr")
        ]

    def __str__(self) -> str:
        return self.cidr

    def clean(self) -> None:
        try:
            self.cidr = normalize_network(self.cidr or "")
        except InvalidNetwork as exc:
            raise ValidationError({"cidr": exc.text}) from exc
