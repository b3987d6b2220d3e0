"""Opt-out and opt-in trends for a period: per day, by source, by category, by reason.

Only events that changed the state count: a second click on an unsubscribe link is evidence,
not a second opt-out. The counts come from the daily rollup (`DailyEventCount`, folded by
`consent.services.rollup` every OPTOUT_ROLLUP_REFRESH_SECONDS) plus the events not folded
yet, in one statement so that a fold committing meanwhile is seen entirely or not at all.
When the rollup is missing, counts days in another time zone, or is behind by more than
OPTOUT_ROLLUP_LIVE_LIMIT events, the events themselves are grouped (on PostgreSQL the
`event_list_time_report` index answers that without reading the table).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Count, QuerySet, Subquery
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from consent.models import (
    ROLLUP_STATE_PK,
    Action,
    ConsentEvent,
    DailyEventCount,
    EventRollupState,
    Source,
)
from lists.models import Category, MailingList


@dataclass(frozen=True)
class Period:
    """From `start` to `end`, both days included, in the current time zone."""

    start: date
    end: date

    @classmethod
    def last_days(cls, days: int, *, today: date | None = None) -> Period:
        end = today or timezone.localdate()
        return cls(start=end - timedelta(days=days - 1), end=end)

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def bounds(self) -> tuple[datetime, datetime]:
        zone = timezone.get_current_timezone()
        return (
            datetime.combine(self.start, time.min, tzinfo=zone),
            datetime.combine(self.end + timedelta(days=1), time.min, tzinfo=zone),
        )


@dataclass(frozen=True)
class Row:
    key: str
    label: str
    opt_outs: int
    opt_ins: int


TABLES = ("days", "sources", "categories", "reasons")
TABLE_TITLES = {
    "days": _("Per day"),
    "sources": _("By source"),
    "categories": _("By category"),
    "reasons": _("By reason"),
}


def _events(*, list_ids: list[int], period: Period) -> QuerySet[ConsentEvent]:
    start, end = period.bounds()
    return ConsentEvent.objects.filter(
        mailing_list_id__in=list_ids,
        occurred_at__gte=start,
        occurred_at__lt=end,
        action__in=[Action.OPT_OUT, Action.OPT_IN],
        changed=True,
    ).order_by()


Counts = dict[object, list[int]]  # key -> [opt-outs, opt-ins]


@dataclass(frozen=True)
class Report:
    days: list[Row]
    sources: list[Row]
    categories: list[Row]
    reasons: list[Row]

    def table(self, name: str) -> list[Row]:
        if name not in TABLES:
            raise KeyError(name)
        rows: list[Row] = getattr(self, name)
        return rows


def _ranked(rows: list[Row]) -> list[Row]:
    return sorted(rows, key=lambda row: (-row.opt_outs, -row.opt_ins, row.label))


Grouped = QuerySet[Any, tuple[date, str, str, int | None, str, int]]


def _grouped(events: QuerySet[ConsentEvent]) -> Grouped:
    """`events` grouped by day, action, source, category and reason."""
    return (
        events.annotate(day=TruncDate("occurred_at"))
        .values_list("day", "action", "source", "category", "reason")
        # COUNT(action) rather than COUNT(id): the id is not in the covering index.
        .annotate(count=Count("action"))
    )


def _rollup_watermark() -> int | None:
    """How far the rollup has folded, if the report may read it: None when it does not
    exist, counts days in another time zone, or lags by more than the live limit."""
    state = (
        EventRollupState.objects.filter(pk=ROLLUP_STATE_PK)
        .values_list("folded_id", "time_zone")
        .first()
    )
    if state is None or state[1] != timezone.get_current_timezone_name():
        return None
    limit = settings.OPTOUT_ROLLUP_LIVE_LIMIT
    behind = ConsentEvent.objects.filter(pk__gt=state[0]).order_by("pk").values_list("pk")
    if behind[limit : limit + 1].exists():
        return None
    return int(state[0])


def _grouped_rollup(*, list_ids: list[int], period: Period, watermark: int) -> Grouped:
    """The daily counts of the period, and the events above the watermark grouped alike.

    One statement (UNION ALL), so one snapshot: the tail starts where the counts read stop,
    even if a fold commits while the report runs. The literal watermark lets the planner
    see the tail is small; the subquery moves it up to what the statement's snapshot sees.
    """
    counts = DailyEventCount.objects.filter(
        mailing_list_id__in=list_ids, day__gte=period.start, day__lte=period.end
    ).values_list("day", "action", "source", "category_id", "reason", "count")
    folded = EventRollupState.objects.filter(pk=ROLLUP_STATE_PK).values("folded_id")
    tail = _grouped(
        _events(list_ids=list_ids, period=period)
        .filter(pk__gt=watermark)
        .filter(pk__gt=Subquery(folded))
    )
    return counts.order_by().union(tail, all=True)


def report(*, lists: QuerySet[MailingList], period: Period) -> Report:
    """Every table of the period from one read: counts grouped by day, action, source,
    category and reason (a few thousand groups at most), then summed per table here."""
    # Ids, not a subquery: the planner then knows the list and picks the index or a scan.
    list_ids = list(lists.values_list("pk", flat=True))
    watermark = _rollup_watermark() if list_ids else None
    if watermark is None:
        grouped = _grouped(_events(list_ids=list_ids, period=period))
    else:
        grouped = _grouped_rollup(list_ids=list_ids, period=period, watermark=watermark)
    tables: dict[str, Counts] = {name: {} for name in TABLES}
    for day, action, source, category, reason, count in grouped:
        column = 0 if action == Action.OPT_OUT else 1
        for name, key in (
            ("days", day),
            ("sources", source),
            ("categories", category),
            ("reasons", reason),
        ):
            tables[name].setdefault(key, [0, 0])[column] += count
    days = []
    for offset in range(period.days):
        day = period.start + timedelta(days=offset)
        outs, ins = tables["days"].get(day, [0, 0])
        days.append(Row(key=day.isoformat(), label=day.isoformat(), opt_outs=outs, opt_ins=ins))
    source_labels = dict(Source.choices)
    category_labels: dict[object, str] = {
        pk: f"{name} ({list_name})"
        for pk, name, list_name in Category.objects.filter(
            pk__in=[key for key in tables["categories"] if key is not None]
        ).values_list("pk", "name", "mailing_list__name")
    }
    category_labels[None] = str(_("Whole list"))
    return Report(
        days=days,
        sources=_ranked(
            [
                Row(
                    key=str(key), label=str(source_labels.get(str(key), key)), opt_outs=o, opt_ins=i
                )
                for key, (o, i) in tables["sources"].items()
            ]
        ),
        categories=_ranked(
            [
                Row(
                    key="" if key is None else str(key),
                    label=category_labels.get(key, str(key)),
                    opt_outs=o,
                    opt_ins=i,
                )
                for key, (o, i) in tables["categories"].items()
            ]
        ),
        reasons=_ranked(
            [
                Row(
                    key=str(key), label=str(key) or str(_("No reason given")), opt_outs=o, opt_ins=i
                )
                for key, (o, i) in tables["reasons"].items()
            ]
        ),
    )


def rows_per_day(*, lists: QuerySet[MailingList], period: Period) -> list[Row]:
    """Every day of the period, days without events included (zeros)."""
    return report(lists=lists, period=period).days


def rows_by_source(*, lists: QuerySet[MailingList], period: Period) -> list[Row]:
    return report(lists=lists, period=period).sources


def rows_by_category(*, lists: QuerySet[MailingList], period: Period) -> list[Row]:
    return report(lists=lists, period=period).categories


def rows_by_reason(*, lists: QuerySet[MailingList], period: Period) -> list[Row]:
    return report(lists=lists, period=period).reasons


def report_table(*, table: str, lists: QuerySet[MailingList], period: Period) -> list[Row]:
    """One of TABLES by name (the CSV export reads one table)."""
    return report(lists=lists, period=period).table(table)
