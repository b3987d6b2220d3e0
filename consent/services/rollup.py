"""Fold consent events into daily counts, so a report over a million events reads a few
hundred rows (`DailyEventCount`) plus the events not folded yet.

The fold is idempotent and safe next to concurrent writers: it only ever counts events with
ids up to a horizon that has *settled*, i.e. no transaction still open could commit an event
with a smaller id. On PostgreSQL ids come from a sequence when a row is inserted, not when it
commits: an event with id 10 may become visible after the one with id 11. A horizon read at
time T (the largest id visible then) is settled once every transaction that was open at T
has ended, which `pg_stat_activity` tells (no other session's transaction started before T).
A horizon that has not settled within a short wait is kept as pending and folded by a later
run. On SQLite one writer at a time holds the database, so the largest id is settled at once.

Events stay append-only: the fold reads them and writes only the derived counts.
"""

from __future__ import annotations

import time
import zoneinfo
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, Max, Q
from django.db.models.functions import TruncDate
from django.utils import timezone

from consent.models import (
    ROLLUP_STATE_PK,
    Action,
    ConsentEvent,
    DailyEventCount,
    EventRollupState,
)

# How long a run waits for its own horizon to settle, and how often it looks.
SETTLE_POLL_SECONDS = 0.02

GroupKey = tuple[int, date, str, str, int | None, str]


@dataclass(frozen=True)
class RollupResult:
    folded_from: int  # the watermark before this run (exclusive)
    folded_to: int  # the watermark after it (inclusive)
    events: int  # events counted by this run
    groups: int  # daily counts created or updated
    pending: int | None  # a horizon left for a later run, if any
    skipped: bool = False  # another run held the state: nothing done
    rebuilt: bool = False  # the time zone changed: the counts were built again from zero

    @property
    def lag(self) -> int:
        return 0 if self.pending is None else max(0, self.pending - self.folded_to)


def rollup_time_zone() -> str:
    """Days are counted in the installation's time zone (TIME_ZONE), as reports show them."""
    return str(settings.TIME_ZONE)


def counted_events() -> Q:
    """The events the reports count: state changes, opt-out or opt-in."""
    return Q(action__in=[Action.OPT_OUT, Action.OPT_IN], changed=True)


def _oldest_other_transaction() -> tuple[datetime | None, bool]:
    """(start of the oldest transaction open in another session of this database, whether
    some sessions hide theirs). PostgreSQL only."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT min(xact_start), bool_or(state IS NULL)
            FROM pg_stat_activity
            WHERE datname = current_database() AND pid <> pg_backend_pid()
              AND backend_type = 'client backend'
            """
        )
        oldest, hidden = cursor.fetchone()
    return oldest, bool(hidden)


def _settled(seen_at: datetime, *, oldest: datetime | None, hidden: bool) -> bool:
    """Has every transaction open at `seen_at` ended?"""
    if hidden:
        # Sessions of other roles hide when their transactions began: fall back on a margin
        # no transaction of this application lasts.
        margin = timedelta(seconds=settings.OPTOUT_ROLLUP_SETTLE_MARGIN_SECONDS)
        return seen_at <= timezone.now() - margin
    return oldest is None or oldest > seen_at


def _horizon() -> tuple[int, datetime]:
    """The largest event id visible now, and the database's clock after reading it."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT coalesce(max(id), 0), clock_timestamp() FROM consent_consentevent")
        highest, seen_at = cursor.fetchone()
    return int(highest), seen_at


def _settled_horizon(
    state: EventRollupState, *, wait: float
) -> tuple[int, int | None, datetime | None]:
    """(id up to which events may be folded now, pending horizon id and time to keep)."""
    if connection.vendor != "postgresql":
        # One writer at a time (transaction_mode IMMEDIATE): this run holds the write lock,
        # so no event below the largest id can still appear.
        highest = ConsentEvent.objects.aggregate(highest=Max("pk"))["highest"] or 0
        return highest, None, None
    highest, seen_at = _horizon()
    candidates: list[tuple[int, datetime]] = []
    if state.pending_id is not None and state.pending_at is not None:
        candidates.append((state.pending_id, state.pending_at))
    candidates.append((highest, seen_at))
    deadline = time.monotonic() + wait
    while True:
        oldest, hidden = _oldest_other_transaction()
        settled = [h for h, at in candidates if _settled(at, oldest=oldest, hidden=hidden)]
        if len(settled) == len(candidates) or time.monotonic() >= deadline:
            break
        time.sleep(SETTLE_POLL_SECONDS)
    upper = max([state.folded_id, *settled])
    unsettled = [(h, at) for h, at in candidates if h > upper]
    if not unsettled:
        return upper, None, None
    # Keep the oldest unsettled horizon: it settles first.
    pending_id, pending_at = min(unsettled, key=lambda item: item[1])
    return upper, pending_id, pending_at


def _grouped(*, above: int, upto: int, zone_name: str) -> dict[GroupKey, int]:
    zone = zoneinfo.ZoneInfo(zone_name)
    rows = (
        ConsentEvent.objects.filter(counted_events(), pk__gt=above, pk__lte=upto)
        .order_by()
        .annotate(day=TruncDate("occurred_at", tzinfo=zone))
        .values_list("mailing_list_id", "day", "action", "source", "category_id", "reason")
        .annotate(count=Count("pk"))
    )
    return {
        (list_id, day, action, source, category_id, reason): count
        for list_id, day, action, source, category_id, reason, count in rows
    }


def _merge(groups: dict[GroupKey, int]) -> int:
    """Add the counts to the stored ones: update the rows that exist, create the others."""
    if not groups:
        return 0
    list_ids = {key[0] for key in groups}
    days = {key[1] for key in groups}
    existing: dict[GroupKey, DailyEventCount] = {}
    stored = DailyEventCount.objects.filter(mailing_list_id__in=list_ids, day__in=days)
    for row in stored:
        key = (row.mailing_list_id, row.day, row.action, row.source, row.category_id, row.reason)
        existing[key] = row
    changed: list[DailyEventCount] = []
    created: list[DailyEventCount] = []
    for key, count in groups.items():
        found = existing.get(key)
        if found is not None:
            found.count += count
            changed.append(found)
            continue
        list_id, day, action, source, category_id, reason = key
        created.append(
            DailyEventCount(
                mailing_list_id=list_id,
                day=day,
                action=action,
                source=source,
                category_id=category_id,
                reason=reason,
                count=count,
            )
        )
    DailyEventCount.objects.bulk_update(changed, ["count"], batch_size=1000)
    DailyEventCount.objects.bulk_create(created, batch_size=1000)
    return len(groups)


@transaction.atomic(durable=True)
def refresh_event_rollup(*, wait: float | None = None) -> RollupResult:
    """Fold every settled event above the watermark into the daily counts. Safe to run
    twice or at the same time: a second run finds the state locked and skips."""
    if wait is None:
        wait = settings.OPTOUT_ROLLUP_SETTLE_WAIT_SECONDS
    EventRollupState.objects.get_or_create(pk=ROLLUP_STATE_PK)
    # skip_locked: a run waiting on the lock would hold a transaction open since before the
    # running one's horizon, which then could not settle.
    state = (
        EventRollupState.objects.select_for_update(skip_locked=True)
        .filter(pk=ROLLUP_STATE_PK)
        .first()
    )
    if state is None:
        return RollupResult(
            folded_from=0, folded_to=0, events=0, groups=0, pending=None, skipped=True
        )
    zone_name = rollup_time_zone()
    rebuilt = False
    if state.time_zone != zone_name:
        # Days counted in another zone cannot be converted: count again from the start.
        rebuilt = state.folded_id > 0
        DailyEventCount.objects.all().delete()
        state.folded_id = 0
        state.time_zone = zone_name
    before = state.folded_id
    upper, pending_id, pending_at = _settled_horizon(state, wait=wait)
    groups: dict[GroupKey, int] = {}
    if upper > before:
        groups = _grouped(above=before, upto=upper, zone_name=zone_name)
        _merge(groups)
        state.folded_id = upper
    state.pending_id, state.pending_at = pending_id, pending_at
    state.folded_at = timezone.now()
    state.save()
    return RollupResult(
        folded_from=before,
        folded_to=state.folded_id,
        events=sum(groups.values()),
        groups=len(groups),
        pending=pending_id,
        rebuilt=rebuilt,
    )
