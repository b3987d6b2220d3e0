"""Opt-out and opt-in trends for a period: per day, by source, by category, by reason.

Each table is one aggregate query (GROUP BY) over the list's events in the period; on
PostgreSQL the `event_list_time_report` index answers it without reading the table. Only
events that changed the state count: a second click on an unsubscribe link is evidence, not
a second opt-out.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from consent.models import Action, ConsentEvent, Source
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


def _events(*, lists: QuerySet[MailingList], period: Period) -> QuerySet[ConsentEvent]:
    start, end = period.bounds()
    return ConsentEvent.objects.filter(
        mailing_list__in=lists,
        occurred_at__gte=start,
        occurred_at__lt=end,
        action__in=[Action.OPT_OUT, Action.OPT_IN],
        changed=True,
    ).order_by()


def _counted(rows: QuerySet[ConsentEvent], key: str) -> Iterator[tuple[object, int, int]]:
    # COUNT(action) rather than COUNT(id): the id is not in the covering index.
    grouped = rows.values(key).annotate(
        opt_outs=Count("action", filter=Q(action=Action.OPT_OUT)),
        opt_ins=Count("action", filter=Q(action=Action.OPT_IN)),
    )
    for row in grouped.values_list(key, "opt_outs", "opt_ins"):
        yield row[0], row[1], row[2]


def rows_per_day(*, lists: QuerySet[MailingList], period: Period) -> list[Row]:
    """Every day of the period, days without events included (zeros)."""
    counts = {
        day: (outs, ins)
        for day, outs, ins in _counted(
            _events(lists=lists, period=period).annotate(day=TruncDate("occurred_at")), "day"
        )
    }
    rows = []
    for offset in range(period.days):
        day = period.start + timedelta(days=offset)
        outs, ins = counts.get(day, (0, 0))
        rows.append(Row(key=day.isoformat(), label=day.isoformat(), opt_outs=outs, opt_ins=ins))
    return rows


def rows_by_source(*, lists: QuerySet[MailingList], period: Period) -> list[Row]:
    labels = dict(Source.choices)
    rows = [
        Row(key=str(key), label=str(labels.get(str(key), key)), opt_outs=outs, opt_ins=ins)
        for key, outs, ins in _counted(_events(lists=lists, period=period), "source")
    ]
    return sorted(rows, key=lambda row: (-row.opt_outs, -row.opt_ins, row.key))


def rows_by_category(*, lists: QuerySet[MailingList], period: Period) -> list[Row]:
    counted = list(_counted(_events(lists=lists, period=period), "category"))
    names: dict[int, str] = {
        pk: f"{name} ({list_name})"
        for pk, name, list_name in Category.objects.filter(
            pk__in=[key for key, _, _ in counted if key is not None]
        ).values_list("pk", "name", "mailing_list__name")
    }
    rows = [
        Row(
            key=str(key) if key is not None else "",
            label=names.get(key, str(key)) if isinstance(key, int) else str(_("Whole list")),
            opt_outs=outs,
            opt_ins=ins,
        )
        for key, outs, ins in counted
    ]
    return sorted(rows, key=lambda row: (-row.opt_outs, -row.opt_ins, row.label))


def rows_by_reason(*, lists: QuerySet[MailingList], period: Period) -> list[Row]:
    rows = [
        Row(
            key=str(key),
            label=str(key) if key else str(_("No reason given")),
            opt_outs=outs,
            opt_ins=ins,
        )
        for key, outs, ins in _counted(_events(lists=lists, period=period), "reason")
    ]
    return sorted(rows, key=lambda row: (-row.opt_outs, -row.opt_ins, row.key))


def report_table(*, table: str, lists: QuerySet[MailingList], period: Period) -> list[Row]:
    """One of TABLES by name (the CSV export and the page share this)."""
    readers = {
        "days": rows_per_day,
        "sources": rows_by_source,
        "categories": rows_by_category,
        "reasons": rows_by_reason,
    }
    return readers[table](lists=lists, period=period)
