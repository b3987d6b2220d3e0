"""The truth about who may be mailed: contacts, current suppressions, the audit trail."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from lists.models import Category, ConsentLevel, Mailer, MailingList


class Source(models.TextChoices):
    HOSTED_PAGE = "hosted_page", _("Hosted opt-out page")
    DIRECT_LINK = "direct_link", _("Direct link")
    ONE_CLICK = "one_click", _("One-click (RFC 8058)")
    MAILTO = "mailto", _("Mailto")
    S2S = "s2s", _("Server-to-server")
    PIXEL = "pixel", _("Pixel")
    PREFERENCE_CENTER = "preference_center", _("Preference center")
    RESUBSCRIBE = "resubscribe", _("Re-subscribe")
    IMPORT = "import", _("Import")
    API = "api", _("API")
    ADMIN = "admin", _("Admin")
    ESP_WEBHOOK = "esp_webhook", _("ESP webhook")
    JOURNEY_PLATFORM = "journey_platform", _("Journey platform")


class Action(models.TextChoices):
    OPT_OUT = "opt_out", _("Opt-out")
    OPT_IN = "opt_in", _("Opt-in")
    ERASED = "erased", _("Erased")


class Scope(models.TextChoices):
    LIST = "list", _("Whole list")
    CATEGORY = "category", _("Category")


class Contact(models.Model):
    """One email identity. The address is normalized; hashes serve hashed downloads."""

    # NULL once erased: the hashes keep the opt-out enforceable without the address.
    address = models.CharField(  # NULL, not "", so erased rows stay unique
        _("address"), max_length=320, unique=True, null=True, blank=True
    )
    md5 = models.CharField(_("MD5"), max_length=32, unique=True)
    sha256 = models.CharField(_("SHA-256"), max_length=64, unique=True)
    profile_key = models.CharField(
        _("profile key"),
        max_length=200,
        blank=True,
        db_index=True,
        help_text=_("Groups the addresses of one person for channel-level consent."),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")

    def __str__(self) -> str:
        return self.address or f"sha256:{self.sha256[:12]}…"


class Suppression(models.Model):
    """Current state: this contact (or every address of this profile) is not to be mailed.

    `category` NULL means the whole list. Exactly one of `contact` and `profile_key` is set:
    a channel-level opt-out belongs to the person, so addresses they add later are covered.
    """

    contact = models.ForeignKey(
        Contact,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="suppressions",
        verbose_name=_("contact"),
    )
    # NULL, not "": the unique constraints must not see every contact row as one profile.
    profile_key = models.CharField(  # noqa: DJ001
        _("profile key"), max_length=200, null=True, blank=True
    )
    mailing_list = models.ForeignKey(
        MailingList, on_delete=models.PROTECT, related_name="suppressions", verbose_name=_("list")
    )
    category = models.ForeignKey(
        Category,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="suppressions",
        verbose_name=_("category"),
    )
    # When Optout learnt it (not when the person opted out): "changes since" downloads key on it.
    created_at = models.DateTimeField(_("suppressed at"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("suppression")
        verbose_name_plural = _("suppressions")
        indexes = [
            models.Index(fields=["mailing_list", "created_at"], name="suppression_list_created"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(Q(contact__isnull=False) & Q(profile_key__isnull=True))
                | (Q(contact__isnull=True) & Q(profile_key__isnull=False)),
                name="suppression_contact_xor_profile",
            ),
            models.UniqueConstraint(
                fields=["contact", "mailing_list", "category"],
                condition=Q(contact__isnull=False, category__isnull=False),
                name="suppression_unique_contact_category",
            ),
            # NULL never equals NULL, so each whole-list row needs a rule of its own.
            models.UniqueConstraint(
                fields=["contact", "mailing_list"],
                condition=Q(contact__isnull=False, category__isnull=True),
                name="suppression_unique_contact_whole_list",
            ),
            models.UniqueConstraint(
                fields=["profile_key", "mailing_list", "category"],
                condition=Q(profile_key__isnull=False, category__isnull=False),
                name="suppression_unique_profile_category",
            ),
            models.UniqueConstraint(
                fields=["profile_key", "mailing_list"],
                condition=Q(profile_key__isnull=False, category__isnull=True),
                name="suppression_unique_profile_whole_list",
            ),
        ]

    def __str__(self) -> str:
        who = str(self.contact) if self.contact_id else f"profile {self.profile_key}"
        what = self.category.name if self.category_id and self.category else _("whole list")
        return f"{who} / {self.mailing_list} ({what})"


class EventQuerySet(models.QuerySet["ConsentEvent"]):
    """Bulk writes skip `save()`, so the queryset refuses them too."""

    def update(self, **kwargs: object) -> int:
        raise EventIsAppendOnly

    def erase_traces(self, *, details: dict[int, dict[str, Any]]) -> int:
        """The one permitted change: blank IP and user agent, shrink `detail`.

        Only `consent.services.compliance.forget_contact` calls this. `details` maps an event
        id to its detail with the address-bearing keys removed; on PostgreSQL the trigger
        checks that nothing else changed (migration `consentevent_erasure_exception`).
        """
        # QuerySet.update of the base class: ours refuses every other bulk write.
        count = models.QuerySet.update(self, ip=None, user_agent="")
        for pk, detail in details.items():
            models.QuerySet.update(self.filter(pk=pk), detail=detail)
        return count

    def delete(self) -> tuple[int, dict[str, int]]:
        raise EventIsAppendOnly


class ConsentEvent(models.Model):
    """Append-only evidence: every request that touched consent, changed or not.

    Nothing here is ever updated or deleted: the model refuses it, admin refuses it and, on
    PostgreSQL, a trigger refuses it (migration 0002).
    """

    action = models.CharField(_("action"), max_length=16, choices=Action.choices)
    scope = models.CharField(_("scope"), max_length=16, choices=Scope.choices)
    level = models.CharField(_("level"), max_length=16, choices=ConsentLevel.choices)
    source = models.CharField(_("source"), max_length=32, choices=Source.choices, db_index=True)
    changed = models.BooleanField(
        _("changed state"), help_text=_("False when the state already was what was asked.")
    )
    contact = models.ForeignKey(
        Contact, on_delete=models.PROTECT, related_name="events", verbose_name=_("contact")
    )
    profile_key = models.CharField(_("profile key"), max_length=200, blank=True)
    mailing_list = models.ForeignKey(
        MailingList, on_delete=models.PROTECT, related_name="events", verbose_name=_("list")
    )
    category = models.ForeignKey(
        Category,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="events",
        verbose_name=_("category"),
    )
    mailer = models.ForeignKey(
        Mailer,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="events",
        verbose_name=_("mailer"),
    )
    reason = models.CharField(_("reason"), max_length=200, blank=True, db_index=True)
    occurred_at = models.DateTimeField(_("occurred at"), db_index=True)
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)
    ip = models.GenericIPAddressField(_("network (anonymized)"), null=True, blank=True)
    user_agent = models.CharField(_("user agent"), max_length=500, blank=True)
    request_id = models.CharField(_("request id"), max_length=64, blank=True)
    detail = models.JSONField(_("detail"), default=dict, blank=True)

    objects = EventQuerySet.as_manager()

    class Meta:
        verbose_name = _("consent event")
        verbose_name_plural = _("consent events")
        ordering = ["-occurred_at", "-pk"]
        indexes = [
            models.Index(fields=["contact", "occurred_at"], name="event_contact_time"),
            # Reports group a list's events by day, source, category and reason: on PostgreSQL
            # the included columns let them run as index-only scans over a million rows.
            models.Index(
                fields=["mailing_list", "occurred_at"],
                include=["action", "changed", "source", "category", "reason"],
                name="event_list_time_report",
            ),
            # The honouring deadline looks for opt-outs a mailer has not fetched yet, keyed on
            # when Optout learnt them (an import may carry an old occurred_at).
            models.Index(
                fields=["mailing_list", "recorded_at"],
                condition=Q(action="opt_out", changed=True),
                name="event_list_optout_recorded",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.mailing_list} ({self.get_source_display()})"

    def save(self, *args: object, **kwargs: object) -> None:
        if self.pk is not None and not kwargs.get("force_insert"):
            raise EventIsAppendOnly
        super().save(*args, **kwargs)  # type: ignore[arg-type]  # forwarded unchanged

    def delete(self, *args: object, **kwargs: object) -> tuple[int, dict[str, int]]:
        raise EventIsAppendOnly


class EventIsAppendOnly(RuntimeError):
    def __init__(self) -> None:
        super().__init__("Consent events are append-only: they cannot be changed or deleted.")


class DownloadKind(models.TextChoices):
    DOWNLOAD = "download", _("Suppression download")
    SCRUB = "scrub", _("Scrub")


class DownloadLog(models.Model):
    """One suppression download or scrub a mailer completed: what it covered, and when.

    `covered_until` is the `recorded_at` of the newest event of the list when the request
    started (the watermark): every opt-out Optout knew by then (and, for a download with
    `since`, learnt after `since`) reached the mailer with this request.
    """

    mailer = models.ForeignKey(
        Mailer, on_delete=models.PROTECT, related_name="download_logs", verbose_name=_("mailer")
    )
    mailing_list = models.ForeignKey(
        MailingList,
        on_delete=models.PROTECT,
        related_name="download_logs",
        verbose_name=_("list"),
    )
    kind = models.CharField(_("kind"), max_length=16, choices=DownloadKind.choices)
    format = models.CharField(_("format"), max_length=16, blank=True)
    since = models.DateTimeField(_("changes since"), null=True, blank=True)
    rows = models.PositiveIntegerField(_("rows"))
    requested_at = models.DateTimeField(_("requested at"), default=timezone.now)
    covered_event = models.ForeignKey(
        ConsentEvent,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("newest event covered"),
    )
    covered_until = models.DateTimeField(_("covers events recorded until"), null=True, blank=True)
    request_id = models.CharField(_("request id"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("download log")
        verbose_name_plural = _("download logs")
        ordering = ["-requested_at", "-pk"]
        indexes = [
            # "First download after this opt-out": scanned in request order from the event on.
            models.Index(
                fields=["mailing_list", "mailer", "requested_at"], name="downloadlog_coverage"
            ),
            models.Index(fields=["mailer", "requested_at"], name="downloadlog_mailer_time"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.mailing_list} ({self.mailer})"


class HonouringDigest(models.Model):
    """The daily mail to a list's owners about late mailers: at most one per list and day."""

    mailing_list = models.ForeignKey(
        MailingList,
        on_delete=models.CASCADE,
        related_name="honouring_digests",
        verbose_name=_("list"),
    )
    day = models.DateField(_("day"))
    late_mailers = models.PositiveIntegerField(_("late mailers"))
    recipients = models.PositiveIntegerField(_("recipients"), default=0)
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("honouring digest")
        verbose_name_plural = _("honouring digests")
        ordering = ["-day", "mailing_list"]
        constraints = [
            models.UniqueConstraint(
                fields=["mailing_list", "day"], name="honouringdigest_unique_list_day"
            )
        ]

    def __str__(self) -> str:
        return f"{self.mailing_list} {self.day}"
