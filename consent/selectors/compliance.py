"""Who may see what, and whether each mailer honours opt-outs in time.

An opt-out reaches a mailer with the first suppression download or scrub that covers it:
a `DownloadLog` whose watermark (`covered_until`) is at or after the moment Optout learnt
the opt-out (`recorded_at`), and whose `since` (for a "changes since" download) is not
after it. A mailer that reported the opt-out itself knew it from the start.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Max, OuterRef, QuerySet, Subquery
from django.utils import timezone

from consent.models import Action, ConsentEvent, DownloadLog
from consent.statements import first_receipts
from lists.models import Mailer, MailerAccess, MailingList
from lists.teams import scope_to_teams


def visible_lists(*, user: User | AnonymousUser) -> QuerySet[MailingList]:
    """The lists a staff user may look into: all for superusers, else their teams' lists."""
    if not (user.is_active and user.is_staff):
        return MailingList.objects.none()
    return scope_to_teams(MailingList.objects.all(), user, "team")


def opt_outs_to_honour() -> QuerySet[ConsentEvent]:
    """Opt-outs a mailer must fetch: those that changed the state (the partial index)."""
    return ConsentEvent.objects.filter(action=Action.OPT_OUT, changed=True)


@dataclass(frozen=True)
class Watermark:
    """The newest opt-out of a list at the moment a download or scrub started."""

    event_id: int | None
    recorded_at: datetime | None


def download_watermark(*, mailing_list: MailingList) -> Watermark:
    """Read this before the download query runs, and hand it to `record_download` after."""
    row = (
        opt_outs_to_honour()
        .filter(mailing_list=mailing_list)
        .order_by("-recorded_at", "-pk")
        .values_list("pk", "recorded_at")
        .first()
    )
    if row is None:
        return Watermark(event_id=None, recorded_at=None)
    return Watermark(event_id=row[0], recorded_at=row[1])


@dataclass(frozen=True)
class Receipt:
    """When one mailer first received one opt-out (None: not yet)."""

    event_id: int
    mailer: Mailer
    received_at: datetime | None
    via: str  # a DownloadKind, "reported" (the mailer told us) or "" (not yet)


def receipts_for_events(*, events: Sequence[ConsentEvent]) -> dict[int, list[Receipt]]:
    """For each opt-out among `events`: every mailer with download access to its list, and
    when that mailer first received it. One query, whatever the number of events and
    mailers.
    """
    opt_outs = {event.pk: event for event in events if event.action == Action.OPT_OUT}
    if not opt_outs:
        return {}
    receipts: dict[int, list[Receipt]] = {event_id: [] for event_id in opt_outs}
    for event_id, mailer, log in first_receipts(event_ids=list(opt_outs)):
        event = opt_outs[event_id]
        received: datetime | None
        if event.mailer_id == mailer.pk:
            received, via = event.recorded_at, "reported"
        elif log is not None:
            received, via = log.requested_at, log.kind
        else:
            received, via = None, ""
        receipts[event_id].append(
            Receipt(event_id=event_id, mailer=mailer, received_at=received, via=via)
        )
    return receipts


@dataclass(frozen=True)
class HonouringStatus:
    """One mailer on one list: the oldest opt-out it has not fetched, and whether it is late."""

    mailer: Mailer
    mailing_list: MailingList
    oldest_unfetched_at: datetime | None
    oldest_unfetched_event_id: int | None
    unfetched_since: timedelta | None
    deadline: timedelta
    late: bool
    last_fetch_at: datetime | None

    @property
    def due_at(self) -> datetime | None:
        if self.oldest_unfetched_at is None:
            return None
        return self.oldest_unfetched_at + self.deadline


Interval = tuple[datetime | None, datetime]  # [since (None: from the start), watermark]


def _merged(intervals: Iterable[Interval]) -> list[Interval]:
    ordered = sorted(intervals, key=lambda pair: (pair[0] is not None, pair[0] or pair[1]))
    merged: list[Interval] = []
    for low, high in ordered:
        if merged:
            last_low, last_high = merged[-1]
            if low is None or low <= last_high:
                merged[-1] = (last_low, max(last_high, high))
                continue
        merged.append((low, high))
    return merged


def _oldest_unfetched(
    *, mailer: Mailer, mailing_list: MailingList, logs: Sequence[Interval]
) -> tuple[int, datetime] | None:
    """The first opt-out in a gap of what the mailer's logs cover, searched gap by gap."""
    events = (
        opt_outs_to_honour()
        .filter(mailing_list=mailing_list)
        .exclude(mailer=mailer)
        .order_by("recorded_at", "pk")
    )
    covered = _merged(logs)
    gaps: list[tuple[datetime | None, datetime | None]] = []
    previous_high: datetime | None = None
    for low, high in covered:
        if low is not None:
            gaps.append((previous_high, low))
        previous_high = high
    gaps.append((previous_high, None))
    for after, before in gaps:
        rows = events
        if after is not None:
            rows = rows.filter(recorded_at__gt=after)
        if before is not None:
            rows = rows.filter(recorded_at__lt=before)
        found = rows.values_list("pk", "recorded_at").first()
        if found is not None:
            return found
    return None


def _statuses(*, accesses: QuerySet[MailerAccess], now: datetime | None) -> list[HonouringStatus]:
    now = now or timezone.now()
    accesses = (
        accesses.filter(can_download=True)
        .select_related("mailer", "mailing_list")
        .annotate(
            full_until=Subquery(
                DownloadLog.objects.filter(
                    mailer=OuterRef("mailer"),
                    mailing_list=OuterRef("mailing_list"),
                    since__isnull=True,
                )
                .order_by()
                .values("mailer")
                .annotate(until=Max("covered_until"))
                .values("until")
            ),
            last_fetch_at=Subquery(
                DownloadLog.objects.filter(
                    mailer=OuterRef("mailer"), mailing_list=OuterRef("mailing_list")
                )
                .order_by("-requested_at")
                .values("requested_at")[:1]
            ),
        )
        .order_by("mailing_list__name", "mailer__name")
    )
    statuses = []
    for access in accesses:
        full_until: datetime | None = access.full_until
        # A full download covers everything before its watermark; only the "changes since"
        # downloads after it need to be pieced together.
        intervals: list[Interval] = [(None, full_until)] if full_until is not None else []
        partial = DownloadLog.objects.filter(
            mailer=access.mailer, mailing_list=access.mailing_list, covered_until__isnull=False
        )
        if full_until is not None:
            partial = partial.filter(covered_until__gt=full_until)
        intervals += [
            (since, until)
            for since, until in partial.values_list("since", "covered_until")
            if until is not None
        ]
        found = _oldest_unfetched(
            mailer=access.mailer, mailing_list=access.mailing_list, logs=intervals
        )
        deadline = timedelta(hours=access.mailing_list.honour_within_hours)
        age = now - found[1] if found else None
        statuses.append(
            HonouringStatus(
                mailer=access.mailer,
                mailing_list=access.mailing_list,
                oldest_unfetched_at=found[1] if found else None,
                oldest_unfetched_event_id=found[0] if found else None,
                unfetched_since=age,
                deadline=deadline,
                late=age is not None and age > deadline,
                last_fetch_at=access.last_fetch_at,
            )
        )
    return statuses


def honouring_statuses(
    *, lists: QuerySet[MailingList], now: datetime | None = None
) -> list[HonouringStatus]:
    """Every mailer and list among `lists` that may download, late or not."""
    return _statuses(accesses=MailerAccess.objects.filter(mailing_list__in=lists), now=now)


def late_mailers(
    *, lists: QuerySet[MailingList], now: datetime | None = None
) -> list[HonouringStatus]:
    return [status for status in honouring_statuses(lists=lists, now=now) if status.late]


def honouring_status_for_mailer(
    mailer: Mailer, *, mailing_list: MailingList | None = None, now: datetime | None = None
) -> list[HonouringStatus]:
    """The mailer portal's view: its own status on each list it may download (or on one)."""
    accesses = MailerAccess.objects.filter(mailer=mailer)
    if mailing_list is not None:
        accesses = accesses.filter(mailing_list=mailing_list)
    return _statuses(accesses=accesses, now=now)


def download_logs_for_lists(*, lists: QuerySet[MailingList]) -> QuerySet[DownloadLog]:
    return DownloadLog.objects.filter(mailing_list__in=lists).select_related(
        "mailer", "mailing_list"
    )
