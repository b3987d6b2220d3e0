"""What the marketer configures: lists, categories, translations, mailers and their access."""

from __future__ import annotations

import base64
import secrets
import uuid
from typing import Any

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator, RegexValidator, URLValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework_api_key.models import AbstractAPIKey

from lists.errors import InvalidNetwork
from lists.networks import normalize_network


class ConsentLevel(models.TextChoices):
    IDENTITY = "identity", _("Identity: the opt-out covers that one address")
    CHANNEL = "channel", _("Channel: the opt-out covers every address of the person")


class RedirectValue(models.TextChoices):
    NOTHING = "", _("Nothing")
    EMAIL = "email", _("The address")
    MD5 = "md5", _("MD5 of the address")


class ReasonMode(models.TextChoices):
    OFF = "off", _("Off: do not ask why")
    OPTIONAL = "optional", _("Optional: ask why, never require an answer")


# Six hex digits only: the theme computes contrast from them, so names are refused.
HEX_COLOR = r"^#[0-9a-fA-F]{6}$"
validate_hex_color = RegexValidator(HEX_COLOR, _("Enter a colour as #RRGGBB, e.g. #0b5ed7."))
# The CSP lets pages load images over https only.
validate_https_url = URLValidator(schemes=["https"], message=_("Enter an https:// URL."))
OTHER_REASON = "other"  # the built-in free-text reason; list reasons may not take its slug


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
    landing_page_url = models.URLField(
        _("landing page URL"),
        max_length=500,
        blank=True,
        help_text=_(
            "The brand's own unsubscribe page. When set, Optout's unsubscribe links lead there "
            "with encrypted ?params=…&pid=…, which the page decrypts through the API."
        ),
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
    # Preference center: the reason question and the brand's look.
    reason_mode = models.CharField(
        _("ask for an unsubscribe reason"),
        max_length=16,
        choices=ReasonMode.choices,
        default=ReasonMode.OFF,
    )
    logo_url = models.URLField(
        _("logo URL"),
        max_length=500,
        blank=True,
        validators=[validate_https_url],
        help_text=_("An https:// image shown at the top of the preference center."),
    )
    accent_color = models.CharField(
        _("accent colour"),
        max_length=7,
        blank=True,
        validators=[validate_hex_color],
        help_text=_(
            "#RRGGBB. Buttons and switches use it; text is darkened where needed to stay readable."
        ),
    )
    privacy_url = models.URLField(_("privacy policy URL"), max_length=500, blank=True)
    footer_text = models.TextField(
        _("footer text"),
        blank=True,
        help_text=_("Shown at the bottom of subscriber pages; a translation may replace it."),
    )
    # Raised whenever a category, reason or translation of the list changes (lists.page_texts):
    # every process keys its cache of the page's texts on it, read with the list row itself.
    content_version = models.PositiveIntegerField(_("content version"), default=0, editable=False)

    class Meta:
        verbose_name = _("mailing list")
        verbose_name_plural = _("mailing lists")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(accent_color="") | Q(accent_color__regex=HEX_COLOR),
                name="mailinglist_accent_color_hex",
            )
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        # The version only ever rises. An instance read before a category changed would
        # otherwise write the older number back, and processes would serve the texts they
        # cached under it. Name, footer and language changes count as new texts too.
        if self._state.adding or kwargs.get("update_fields") is not None:
            super().save(*args, **kwargs)
            return
        self.content_version = models.F("content_version") + 1  # refreshed below
        super().save(*args, **kwargs)
        self.refresh_from_db(fields=["content_version"])


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


class CategoryTranslation(models.Model):
    """A category's name and description in one language; the category's own text is the
    fallback."""

    category = models.ForeignKey(
        Category, on_delete=models.CASCADE, related_name="translations", verbose_name=_("category")
    )
    language = models.CharField(_("language"), max_length=10, choices=language_choices)
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)

    class Meta:
        verbose_name = _("category translation")
        verbose_name_plural = _("category translations")
        ordering = ["category", "language"]
        constraints = [
            models.UniqueConstraint(
                fields=["category", "language"], name="categorytranslation_unique_language"
            )
        ]

    def __str__(self) -> str:
        return f"{self.category} ({self.language})"


class UnsubscribeReason(models.Model):
    """One answer to "why are you leaving?", offered when the list asks for a reason.

    The slug is what consent events store, so reports stay stable when the label changes.
    """

    mailing_list = models.ForeignKey(
        MailingList,
        on_delete=models.CASCADE,
        related_name="reasons",
        verbose_name=_("list"),
    )
    slug = models.SlugField(
        _("slug"), max_length=60, help_text=_("Stored on consent events; keep it stable.")
    )
    label = models.CharField(_("label"), max_length=200)
    position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("unsubscribe reason")
        verbose_name_plural = _("unsubscribe reasons")
        ordering = ["mailing_list", "position", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["mailing_list", "slug"], name="unsubscribereason_unique_slug"
            ),
            models.CheckConstraint(
                condition=~Q(slug=OTHER_REASON), name="unsubscribereason_slug_not_other"
            ),
        ]

    def __str__(self) -> str:
        return self.label

    def clean(self) -> None:
        if self.slug == OTHER_REASON:
            raise ValidationError(
                {"slug": _("“other” is built in: it always follows the list's reasons.")}
            )


class UnsubscribeReasonTranslation(models.Model):
    reason = models.ForeignKey(
        UnsubscribeReason,
        on_delete=models.CASCADE,
        related_name="translations",
        verbose_name=_("reason"),
    )
    language = models.CharField(_("language"), max_length=10, choices=language_choices)
    label = models.CharField(_("label"), max_length=200)

    class Meta:
        verbose_name = _("unsubscribe reason translation")
        verbose_name_plural = _("unsubscribe reason translations")
        ordering = ["reason", "language"]
        constraints = [
            models.UniqueConstraint(
                fields=["reason", "language"], name="unsubscribereasontranslation_unique_language"
            )
        ]

    def __str__(self) -> str:
        return f"{self.reason} ({self.language})"


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
    display_name = models.CharField(
        _("list name"),
        max_length=200,
        blank=True,
        help_text=_("The list's name in this language; empty keeps the list's own name."),
    )
    footer_text = models.TextField(
        _("footer text"),
        blank=True,
        help_text=_("Replaces the list's footer text in this language."),
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


class WebhookEventType(models.TextChoices):
    """What an outbound webhook can announce. Values are the `type` field of each message."""

    OPT_OUT = "consent.opt_out", _("Opt-out")
    OPT_IN = "consent.opt_in", _("Opt-in (re-subscribe)")


WEBHOOK_SECRET_PREFIX = "whsec_"  # noqa: S105  # the Standard Webhooks prefix, not a secret


def new_webhook_secret() -> str:
    """A Standard Webhooks secret: `whsec_` and 32 random bytes in base64."""
    return WEBHOOK_SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def default_webhook_event_types() -> list[str]:
    return [WebhookEventType.OPT_OUT.value]


class Webhook(models.Model):
    """An endpoint that receives one signed JSON message per consent change."""

    name = models.CharField(_("name"), max_length=200)
    url = models.URLField(_("URL"), max_length=500)
    # Shown once when created; admin never displays it again.
    secret = models.CharField(
        _("signing secret"), max_length=100, default=new_webhook_secret, editable=False
    )
    event_types = models.JSONField(
        _("event types"),
        default=default_webhook_event_types,
        help_text=_("Consent changes this endpoint receives."),
    )
    team = models.ForeignKey(
        Group,
        verbose_name=_("team"),
        on_delete=models.PROTECT,
        related_name="webhooks",
        help_text=_("Marketers of this group manage the endpoint."),
    )
    lists = models.ManyToManyField(
        MailingList,
        blank=True,
        related_name="webhooks",
        verbose_name=_("lists"),
        help_text=_("Leave empty for every list of the team."),
    )
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        known = set(WebhookEventType.values)
        if not isinstance(self.event_types, list) or not set(self.event_types) <= known:
            raise ValidationError({"event_types": _("Choose event types from the list.")})


class MailerApiKey(AbstractAPIKey):
    """A mailer's key to the API: stored hashed, shown once; the prefix identifies it."""

    mailer = models.ForeignKey(
        Mailer, on_delete=models.CASCADE, related_name="api_keys", verbose_name=_("mailer")
    )
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)

    class Meta:
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")
        ordering = ["-created"]


class BlockedClient(models.Model):
    """An address that kept calling from outside every allowlist, and how long it waits.

    The live block sits in the shared cache (checked on every API request); this row is the
    record marketers see in admin, where unblocking lifts both.
    """

    ip = models.GenericIPAddressField(_("address"), unpack_ipv4=True)
    mailer = models.ForeignKey(
        Mailer,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="blocked_clients",
        verbose_name=_("mailer of the key used"),
    )
    refusals = models.PositiveIntegerField(_("refusals before the block"))
    blocked_at = models.DateTimeField(_("blocked at"), default=timezone.now)
    blocked_until = models.DateTimeField(_("blocked until"))
    lifted_at = models.DateTimeField(_("unblocked at"), null=True, blank=True)
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("unblocked by"),
    )

    class Meta:
        verbose_name = _("blocked client")
        verbose_name_plural = _("blocked clients")
        ordering = ["-blocked_at"]
        indexes = [models.Index(fields=["ip", "blocked_until"], name="blockedclient_ip_until")]

    def __str__(self) -> str:
        return self.ip

    @property
    def active(self) -> bool:
        return self.lifted_at is None and self.blocked_until > timezone.now()


# Journey platforms ("customer managed" consent): the platform puts our endpoint in its
# headers, appends encrypted parameters, and we decrypt them through its API.

ADOBE_DECRYPT_URL = "https://platform.adobe.io/journey/imp/consent/decrypt"
ADOBE_TOKEN_URL = "https://ims-na1.adobelogin.com/ims/token/v3"  # noqa: S105  # a URL, not a secret
ADOBE_DEFAULT_SCOPES = "openid,AdobeID,read_organizations,additional_info.projectedProductContext"


class JourneyPlatform(models.TextChoices):
    ADOBE_JOURNEY_OPTIMIZER = "adobe_journey_optimizer", _("Adobe Journey Optimizer")


def new_endpoint_key() -> str:
    # Lowercase base 32: it also travels in the local part of a mailto address, which some
    # MTAs case-fold.
    return base64.b32encode(secrets.token_bytes(15)).decode().lower()


class JourneyIntegration(models.Model):
    """One "customer managed" channel configuration of a journey platform.

    The platform posts opt-outs to this integration's endpoint; they apply to every list of
    the integration. The client secret is write-only: admin never shows it again.
    """

    name = models.CharField(_("name"), max_length=200)
    team = models.ForeignKey(
        Group,
        verbose_name=_("team"),
        on_delete=models.PROTECT,
        related_name="journey_integrations",
        help_text=_("Marketers of this group manage the integration."),
    )
    kind = models.CharField(
        _("platform"),
        max_length=40,
        choices=JourneyPlatform.choices,
        default=JourneyPlatform.ADOBE_JOURNEY_OPTIMIZER,
    )
    lists = models.ManyToManyField(
        MailingList,
        related_name="journey_integrations",
        verbose_name=_("lists"),
        help_text=_("An opt-out received through this integration applies to each of them."),
    )
    active = models.BooleanField(
        _("active"), default=True, help_text=_("An inactive integration's endpoint answers 404.")
    )
    # Public: it sits in the platform's channel configuration and in every header it sends.
    endpoint_key = models.CharField(
        _("endpoint key"), max_length=40, unique=True, default=new_endpoint_key, editable=False
    )
    decrypt_url = models.URLField(_("decrypt API URL"), max_length=500, default=ADOBE_DECRYPT_URL)
    token_url = models.URLField(
        _("IMS token URL"),
        max_length=500,
        default=ADOBE_TOKEN_URL,
        help_text=_("OAuth server-to-server (client credentials) token endpoint."),
    )
    client_id = models.CharField(_("client id"), max_length=200)
    client_secret = models.CharField(_("client secret"), max_length=500)
    organization_id = models.CharField(
        _("organization id"),
        max_length=200,
        help_text=_("Sent as x-gw-ims-org-id, e.g. …@AdobeOrg."),
    )
    api_key = models.CharField(
        _("API key"),
        max_length=200,
        blank=True,
        help_text=_("Sent as x-api-key. Leave empty to send the client id, as Adobe expects."),
    )
    scopes = models.CharField(
        _("scopes"),
        max_length=500,
        default=ADOBE_DEFAULT_SCOPES,
        help_text=_("Comma-separated, as listed in the Adobe Developer Console project."),
    )
    sandbox = models.CharField(
        _("sandbox"),
        max_length=200,
        blank=True,
        help_text=_("Sent as x-sandbox-name when set."),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("journey platform integration")
        verbose_name_plural = _("journey platform integrations")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def __repr__(self) -> str:
        # The default repr is safe, but say it: no credential ever appears in a log line.
        return f"<JourneyIntegration {self.pk} {self.kind}>"

    @property
    def api_key_header(self) -> str:
        return self.api_key or self.client_id
