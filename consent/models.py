"""The truth about who may be mailed: contacts, current suppressions, the audit trail."""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from lists.models import Category, ConsentLevel, JourneyIntegration, Mailer, MailingList, Webhook


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
    address = models.CharField(  # noqa: DJ001  # NULL, not "", so erased rows stay unique
        _("address"), max_length=320, null=True, blank=True
    )
    md5 = models.CharField(_("MD5"), max_length=32)
    # NULL for a contact known only by an imported MD5 hash: its SHA-256 cannot be derived.
    # The address and the SHA-256 are filled in the first time the address itself is seen.
    sha256 = models.CharField(  # noqa: DJ001  # NULL, not "": unique must skip hash-only rows
        _("SHA-256"), max_length=64, null=True, blank=True
    )
    profile_key = models.CharField(
        _("profile key"),
        max_length=200,
        blank=True,
        help_text=_("Groups the addresses of one person for channel-level consent."),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        # Constraints and indexes here, not `unique=True` / `db_index=True` on the fields: on
        # PostgreSQL those add a second `*_like` pattern index to every text column, which
        # nothing here uses (lookups are by equality; admin search is a substring match no
        # B-tree serves) and every import pays for on each row.
        constraints = [
            models.UniqueConstraint(fields=["address"], name="contact_unique_address"),
            models.UniqueConstraint(fields=["md5"], name="contact_unique_md5"),
            models.UniqueConstraint(fields=["sha256"], name="contact_unique_sha256"),
        ]
        indexes = [models.Index(fields=["profile_key"], name="contact_profile_key")]

    def __str__(self) -> str:
        if self.address:
            return self.address
        return f"sha256:{self.sha256[:12]}…" if self.sha256 else f"md5:{self.md5[:12]}…"


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
    # No index of its own: `suppression_list_created` starts with the list and serves it.
    mailing_list = models.ForeignKey(
        MailingList,
        on_delete=models.PROTECT,
        related_name="suppressions",
        verbose_name=_("list"),
        db_index=False,
    )
    category = models.ForeignKey(
        Category,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="suppressions",
        verbose_name=_("category"),
        db_index=False,  # partial index in Meta: most rows are whole-list (NULL)
    )
    # When Optout learnt it (not when the person opted out): "changes since" downloads key on it.
    created_at = models.DateTimeField(_("suppressed at"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("suppression")
        verbose_name_plural = _("suppressions")
        indexes = [
            models.Index(fields=["mailing_list", "created_at"], name="suppression_list_created"),
            # Only for PROTECT when a category is deleted; NULLs (whole list) left out, so a
            # bulk import of whole-list rows maintains one index less.
            models.Index(
                fields=["category"],
                condition=Q(category__isnull=False),
                name="suppression_category",
            ),
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
    source = models.CharField(_("source"), max_length=32, choices=Source.choices)
    changed = models.BooleanField(
        _("changed state"), help_text=_("False when the state already was what was asked.")
    )
    # No index of their own for the contact and the list: `event_contact_time` and
    # `event_list_time_report` start with them and serve every lookup an index on the
    # column alone would; each index less is work saved on every opt-out. Category and
    # mailer have partial indexes (Meta): most events have neither.
    contact = models.ForeignKey(
        Contact,
        on_delete=models.PROTECT,
        related_name="events",
        verbose_name=_("contact"),
        db_index=False,
    )
    profile_key = models.CharField(_("profile key"), max_length=200, blank=True)
    mailing_list = models.ForeignKey(
        MailingList,
        on_delete=models.PROTECT,
        related_name="events",
        verbose_name=_("list"),
        db_index=False,
    )
    category = models.ForeignKey(
        Category,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="events",
        verbose_name=_("category"),
        db_index=False,
    )
    mailer = models.ForeignKey(
        Mailer,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="events",
        verbose_name=_("mailer"),
        db_index=False,
    )
    reason = models.CharField(_("reason"), max_length=200, blank=True)
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
        # Meta indexes rather than `db_index=True` on the text fields: no `*_like` twins
        # (see Contact), one index less to maintain per event on PostgreSQL for each.
        indexes = [
            models.Index(fields=["source"], name="event_source"),
            models.Index(fields=["reason"], name="event_reason"),
            models.Index(fields=["contact", "occurred_at"], name="event_contact_time"),
            # Most events have no category or mailer (imports, hosted pages): the NULLs stay
            # out, so every such insert maintains two indexes less.
            models.Index(
                fields=["category"], condition=Q(category__isnull=False), name="event_category"
            ),
            models.Index(fields=["mailer"], condition=Q(mailer__isnull=False), name="event_mailer"),
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


class ImportStatus(models.TextChoices):
    PENDING = "pending", _("Waiting")
    PARSING = "parsing", _("Reading the file")
    WRITING = "writing", _("Writing suppressions")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class ImportJob(models.Model):
    """One upload of unsubscribed addresses from another ESP, run by `run_import`."""

    file = models.FileField(_("file"), upload_to="imports/%Y/%m/")
    file_name = models.CharField(_("file name"), max_length=255, blank=True)
    mailing_list = models.ForeignKey(
        MailingList, on_delete=models.PROTECT, related_name="imports", verbose_name=_("list")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    status = models.CharField(
        _("status"), max_length=16, choices=ImportStatus.choices, default=ImportStatus.PENDING
    )
    file_format = models.CharField(_("detected format"), max_length=40, blank=True)
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    rows = models.PositiveIntegerField(_("rows read"), default=0)
    suppressed = models.PositiveIntegerField(_("newly suppressed"), default=0)
    already_suppressed = models.PositiveIntegerField(_("already suppressed"), default=0)
    duplicates = models.PositiveIntegerField(_("duplicates in the file"), default=0)
    skipped = models.PositiveIntegerField(
        _("skipped"), default=0, help_text=_("Rows that are not opt-outs, e.g. active contacts.")
    )
    invalid = models.PositiveIntegerField(_("rejected rows"), default=0)
    errors = models.JSONField(
        _("first rejects"), default=list, blank=True, help_text=_("Line number and reason.")
    )
    failure = models.TextField(_("failure"), blank=True)
    created_at = models.DateTimeField(_("uploaded"), auto_now_add=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.file_name or self.file.name} → {self.mailing_list}"


class EspProvider(models.TextChoices):
    SENDGRID = "sendgrid", "SendGrid"
    MAILGUN = "mailgun", "Mailgun"
    AMAZON_SES = "amazon_ses", "Amazon SES"
    BREVO = "brevo", "Brevo"
    POSTMARK = "postmark", "Postmark"


class EspConnection(models.Model):
    """An ESP still in use for a list: its unsubscribe and complaint webhooks land here.

    Each connection has its own URL (its uuid) and its own secrets, so two lists on one ESP
    account, or two ESP accounts, never share credentials.
    """

    uuid = models.UUIDField(_("public id"), default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(_("name"), max_length=200)
    provider = models.CharField(_("ESP"), max_length=20, choices=EspProvider.choices)
    mailing_list = models.ForeignKey(
        MailingList,
        on_delete=models.PROTECT,
        related_name="esp_connections",
        verbose_name=_("list"),
    )
    active = models.BooleanField(_("active"), default=True)
    basic_auth = models.CharField(
        _("basic auth (user:password)"),
        max_length=200,
        blank=True,
        help_text=_(
            "Put these credentials in the webhook URL you give the ESP "
            "(https://user:password@host/…). Required for Amazon SES, Brevo and Postmark."
        ),
    )
    signing_key = models.TextField(
        _("signing key"),
        blank=True,
        help_text=_(
            "Mailgun: the HTTP webhook signing key. SendGrid: the verification key "
            "(public key, base64) of the signed event webhook."
        ),
    )
    sns_topic_arn = models.CharField(
        _("SNS topic ARN"),
        max_length=300,
        blank=True,
        help_text=_("Amazon SES: accept notifications of this SNS topic only."),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("ESP connection")
        verbose_name_plural = _("ESP connections")
        ordering = ["name"]
        constraints = [
            # Every provider checks something: a shared secret, a signature, or both.
            models.CheckConstraint(
                condition=~Q(basic_auth="") | ~Q(signing_key=""),
                name="espconnection_has_a_secret",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_provider_display()})"


class WebhookDelivery(models.Model):
    """Outbox: one message to one endpoint, written in the transaction of its event.

    The sweep re-queues every row that is due, so a message survives a broker or receiver
    outage; `next_attempt_at` doubles as a lease while an attempt is under way.
    """

    webhook = models.ForeignKey(
        Webhook, on_delete=models.CASCADE, related_name="deliveries", verbose_name=_("endpoint")
    )
    event = models.ForeignKey(
        ConsentEvent,
        on_delete=models.PROTECT,
        related_name="deliveries",
        verbose_name=_("consent event"),
    )
    message_id = models.CharField(_("message id"), max_length=64)
    event_type = models.CharField(_("event type"), max_length=40)
    payload = models.JSONField(_("payload"))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)
    gave_up_at = models.DateTimeField(_("gave up"), null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(_("last status"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ["-created_at", "-pk"]
        # A constraint, not `unique=True`: no `*_like` twin index (see Contact).
        constraints = [
            models.UniqueConstraint(fields=["message_id"], name="webhook_delivery_unique_message")
        ]
        indexes = [
            # The sweep's query: pending rows whose time has come.
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(delivered_at__isnull=True, gave_up_at__isnull=True),
                name="delivery_due",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} → {self.webhook} ({self.message_id})"


class WebhookAttempt(models.Model):
    delivery = models.ForeignKey(
        WebhookDelivery,
        on_delete=models.CASCADE,
        related_name="attempt_log",
        verbose_name=_("delivery"),
    )
    attempted_at = models.DateTimeField(_("attempted at"))
    status_code = models.PositiveSmallIntegerField(_("status"), null=True, blank=True)
    error = models.CharField(_("error"), max_length=500, blank=True)
    duration_ms = models.PositiveIntegerField(_("duration (ms)"), default=0)

    class Meta:
        verbose_name = _("webhook attempt")
        verbose_name_plural = _("webhook attempts")
        ordering = ["-attempted_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.attempted_at:%Y-%m-%d %H:%M:%S} {self.status_code or self.error}"


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


class JourneyChannel(models.TextChoices):
    ONE_CLICK = "one_click", _("One-click URL (params and pid)")
    MAILTO = "mailto", _("Mailto (emailParams)")


class JourneyRequestState(models.TextChoices):
    PENDING = "pending", _("Pending")
    DONE = "done", _("Recorded")
    FAILED = "failed", _("Failed after the last retry")
    REJECTED = "rejected", _("Rejected by the platform")


class JourneyOptOutRequest(models.Model):
    """An encrypted opt-out a journey platform sent us, kept until its decryption succeeds.

    Written in the request that received it, before the answer: once the platform has its
    200, the opt-out cannot be lost, whatever happens to the decrypt API afterwards.
    """

    # No index of its own: `journeyrequest_unique_pair` starts with it. No constraint in the
    # database either: every receipt of a platform points at the same integration row, and
    # the check would lock that row from each concurrent insert. The insert finds the active
    # integration in the same statement, and PROTECT keeps it from being deleted.
    integration = models.ForeignKey(
        JourneyIntegration,
        on_delete=models.PROTECT,
        related_name="opt_out_requests",
        verbose_name=_("integration"),
        db_index=False,
        db_constraint=False,
    )
    channel = models.CharField(_("channel"), max_length=16, choices=JourneyChannel.choices)
    # Opaque, encrypted by the platform: no address in clear. For mailto, `params` holds
    # emailParams and `pid` is empty.
    params = models.TextField(_("params"))
    pid = models.TextField(_("pid"), blank=True)
    # SHA-256 of channel, params and pid: a unique index on the long texts themselves would
    # exceed PostgreSQL's B-tree row limit for long values.
    digest = models.CharField(_("digest"), max_length=64)
    state = models.CharField(
        _("state"),
        max_length=16,
        choices=JourneyRequestState.choices,
        default=JourneyRequestState.PENDING,
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    received_at = models.DateTimeField(_("received"), default=timezone.now)
    done_at = models.DateTimeField(_("recorded at"), null=True, blank=True)
    # Set once decrypted, never when received: a partial index (Meta) holds no entry for the
    # request being written.
    contact = models.ForeignKey(
        Contact,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="journey_requests",
        verbose_name=_("contact"),
        db_index=False,
    )
    # Traces of the platform's request, copied onto the consent events once decrypted.
    ip = models.GenericIPAddressField(_("network (anonymized)"), null=True, blank=True)
    user_agent = models.CharField(_("user agent"), max_length=500, blank=True)
    request_id = models.CharField(_("request id"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("journey platform opt-out")
        verbose_name_plural = _("journey platform opt-outs")
        ordering = ["-received_at", "-pk"]
        indexes = [
            models.Index(fields=["state", "next_attempt_at"], name="journeyrequest_due"),
            models.Index(
                fields=["contact"],
                condition=models.Q(contact__isnull=False),
                name="journeyrequest_contact",
            ),
        ]
        constraints = [
            # The same pair posted twice (mail clients and proxies retry) is one opt-out.
            models.UniqueConstraint(
                fields=["integration", "digest"], name="journeyrequest_unique_pair"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.integration} #{self.pk} ({self.get_state_display()})"


def _unchecked_key(to: type[models.Model], verbose_name: Any, *, null: bool = False) -> Any:
    """A key the database neither checks nor indexes: the row is written by the hot path and
    read only by the worker, which checks what it points at."""
    return models.ForeignKey(
        to,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        null=null,
        blank=null,
        related_name="+",
        verbose_name=verbose_name,
    )


class OneClickReceipt(models.Model):
    """A one-click opt-out received, not yet applied: what the request stored before its 200.

    With a broker, the RFC 8058 endpoint writes this one narrow row and answers; a worker
    records the suppression and the event from it and deletes it in the same transaction
    (`consent.services.one_click`). So the row is the opt-out's durable proof until then, and
    no row is applied twice. The token was verified before the row was written, so its ids
    are ours; the worker still checks that they exist. No database constraints or indexes
    beyond the key: the request pays for nothing it does not need.
    """

    contact = _unchecked_key(Contact, _("contact"))
    mailing_list = _unchecked_key(MailingList, _("list"))
    # The token's mailer; the worker keeps it on the event only while it still has access.
    mailer = _unchecked_key(Mailer, _("mailer"), null=True)
    received_at = models.DateTimeField(_("received"), default=timezone.now)
    ip = models.GenericIPAddressField(_("network (anonymized)"), null=True, blank=True)
    user_agent = models.CharField(_("user agent"), max_length=500, blank=True)
    request_id = models.CharField(_("request id"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("one-click opt-out waiting")
        verbose_name_plural = _("one-click opt-outs waiting")
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.mailing_list_id}/{self.contact_id} #{self.pk}"


class DailyEventCount(models.Model):
    """Derived, not evidence: how many events of one kind a list had on one day.

    The reports read these counts instead of scanning a million events per page; the
    rollup service (`consent.services.rollup`) folds the events above its watermark into
    them. Only the state changes the reports count are folded (opt-outs and opt-ins that
    changed the state). `day` is in the time zone recorded on `EventRollupState`.
    """

    mailing_list = models.ForeignKey(
        MailingList, on_delete=models.CASCADE, related_name="+", verbose_name=_("list")
    )
    day = models.DateField(_("day"))
    action = models.CharField(_("action"), max_length=16, choices=Action.choices)
    source = models.CharField(_("source"), max_length=32, choices=Source.choices)
    category = models.ForeignKey(
        Category,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("category"),
    )
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    count = models.PositiveBigIntegerField(_("events"))

    class Meta:
        verbose_name = _("daily event count")
        verbose_name_plural = _("daily event counts")
        constraints = [
            # NULL never equals NULL, so the whole-list rows need a rule of their own.
            models.UniqueConstraint(
                fields=["mailing_list", "day", "action", "source", "category", "reason"],
                condition=Q(category__isnull=False),
                name="dailyeventcount_unique_category",
            ),
            models.UniqueConstraint(
                fields=["mailing_list", "day", "action", "source", "reason"],
                condition=Q(category__isnull=True),
                name="dailyeventcount_unique_whole_list",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.mailing_list_id} {self.day} {self.action} {self.source}: {self.count}"


# The primary key of the one EventRollupState row.
ROLLUP_STATE_PK = 1


class EventRollupState(models.Model):
    """The one row saying how far the events are folded into `DailyEventCount`.

    Every event with an id up to `folded_id` is counted there, none above it. `pending_id`
    and `pending_at` are a horizon seen by an earlier run that could not be folded yet:
    transactions open at `pending_at` could still commit events with smaller ids.
    """

    folded_id = models.BigIntegerField(_("events folded up to id"), default=0)
    time_zone = models.CharField(_("time zone of the days"), max_length=64, blank=True)
    pending_id = models.BigIntegerField(_("horizon waiting to settle"), null=True, blank=True)
    pending_at = models.DateTimeField(_("horizon seen at"), null=True, blank=True)
    folded_at = models.DateTimeField(_("last fold"), null=True, blank=True)

    class Meta:
        verbose_name = _("event rollup state")
        verbose_name_plural = _("event rollup states")

    def __str__(self) -> str:
        return f"folded up to {self.folded_id}"
