"""The daily rollup the reports read: same counts as grouping the events, folded or not."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.db import connection, transaction
from django.test import Client

from consent.models import ConsentEvent, DailyEventCount, EventRollupState, Source
from consent.selectors import reports as report_selectors
from consent.selectors.reports import Period, report
from consent.services.rollup import refresh_event_rollup
from lists.models import MailingList
from tests.consent.factories import ContactFactory
from tests.consent.staff import marketer
from tests.consent.test_consent_reports import DAY1, PERIOD, data_set, opt_out
from tests.lists.factories import CategoryFactory, MailingListFactory

__all__ = ["data_set"]  # the fixture, shared with the report tests

pytestmark = pytest.mark.django_db


def tables(lists) -> dict[str, list[tuple[str, str, int, int]]]:
    found = report(lists=lists, period=PERIOD)
    return {
        name: [(row.key, row.label, row.opt_outs, row.opt_ins) for row in found.table(name)]
        for name in report_selectors.TABLES
    }


def direct_tables(lists, settings) -> dict[str, list[tuple[str, str, int, int]]]:
    """The counts grouped from the events themselves (no rollup yet, or ignored)."""
    EventRollupState.objects.filter(pk=1).update(time_zone="Nowhere/Else")
    try:
        return tables(lists)
    finally:
        EventRollupState.objects.filter(pk=1).update(time_zone=django_settings.TIME_ZONE)


def test_the_fold_counts_every_state_change_once_per_day_and_kind(data_set) -> None:
    result = refresh_event_rollup()

    newsletter = data_set["newsletter"]
    rows = DailyEventCount.objects.filter(mailing_list=newsletter)
    assert sorted(
        (str(r.day), r.action, r.source, r.category_id is not None, r.reason, r.count) for r in rows
    ) == [
        ("2026-03-02", "opt_out", "mailto", False, "", 1),
        ("2026-03-02", "opt_out", "one_click", False, "", 1),
        ("2026-03-02", "opt_out", "one_click", False, "too many", 1),
        ("2026-03-04", "opt_in", "resubscribe", False, "", 1),
        ("2026-03-04", "opt_out", "preference_center", True, "not relevant", 1),
        ("2026-03-11", "opt_out", "one_click", False, "", 1),
    ]
    # 13 events, of which one repeat changed nothing.
    assert (result.events, result.folded_to) == (12, ConsentEvent.objects.latest("pk").pk)
    assert EventRollupState.objects.get().folded_id == result.folded_to


def test_reports_give_the_same_counts_folded_unfolded_and_with_a_live_tail(
    data_set, settings
) -> None:
    lists = MailingList.objects.filter(team=data_set["team"])
    unfolded = tables(lists)  # no rollup yet: the events are grouped

    refresh_event_rollup()
    folded = tables(lists)
    # More events after the fold: read from the events above the watermark.
    opt_out(data_set["newsletter"], DAY1, Source.MAILTO, reason="too many")
    opt_out(data_set["alerts"], DAY1 + timedelta(days=1), Source.S2S)
    with_tail = tables(lists)
    direct = direct_tables(lists, settings)

    assert folded == unfolded
    assert unfolded["days"][1] == ("2026-03-02", "2026-03-02", 3, 0)
    assert with_tail == direct
    assert with_tail["days"][1] == ("2026-03-02", "2026-03-02", 4, 0)
    assert ("s2s", "Server-to-server", 2, 0) in with_tail["sources"]
    assert ("too many", "too many", 2, 0) in with_tail["reasons"]
    refresh_event_rollup()
    assert tables(lists) == direct


def test_a_second_fold_adds_nothing_and_new_events_add_to_the_same_rows(data_set) -> None:
    refresh_event_rollup()
    before = {(r.pk, r.count) for r in DailyEventCount.objects.all()}

    again = refresh_event_rollup()
    assert again.events == 0
    assert {(r.pk, r.count) for r in DailyEventCount.objects.all()} == before

    opt_out(data_set["newsletter"], DAY1, Source.MAILTO)
    refresh_event_rollup()
    mailto = DailyEventCount.objects.get(
        mailing_list=data_set["newsletter"], day=DAY1.date(), source=Source.MAILTO
    )
    assert mailto.count == 2
    assert DailyEventCount.objects.count() == len(before)


def test_a_report_counts_the_events_when_the_rollup_is_too_far_behind(
    data_set, settings, django_assert_num_queries
) -> None:
    lists = MailingList.objects.filter(pk=data_set["newsletter"].pk)
    refresh_event_rollup()
    opt_out(data_set["newsletter"], DAY1, Source.MAILTO)
    opt_out(data_set["newsletter"], DAY1, Source.MAILTO)
    settings.OPTOUT_ROLLUP_LIVE_LIMIT = 1

    assert report_selectors._rollup_watermark() is None
    assert tables(lists)["days"][1] == ("2026-03-02", "2026-03-02", 5, 0)
    settings.OPTOUT_ROLLUP_LIVE_LIMIT = 2
    assert report_selectors._rollup_watermark() == EventRollupState.objects.get().folded_id
    assert tables(lists)["days"][1] == ("2026-03-02", "2026-03-02", 5, 0)


def test_a_new_time_zone_rebuilds_the_counts(data_set, settings) -> None:
    refresh_event_rollup()
    settings.TIME_ZONE = "Pacific/Kiritimati"  # UTC+14: 10:00 UTC is the next day there

    result = refresh_event_rollup()

    assert result.rebuilt
    assert EventRollupState.objects.get().time_zone == "Pacific/Kiritimati"
    days = set(
        DailyEventCount.objects.filter(mailing_list=data_set["newsletter"]).values_list(
            "day", flat=True
        )
    )
    assert str(min(days)) == "2026-03-03"


def test_the_report_page_reads_the_rollup_and_the_tail(client: Client, data_set) -> None:
    refresh_event_rollup()
    opt_out(data_set["alerts"], DAY1 + timedelta(days=1), Source.S2S)
    client.force_login(marketer(data_set["team"]))

    body = client.get(
        "/admin/consent/reports/", {"start": "2026-03-01", "end": "2026-03-07"}
    ).content.decode()

    assert "Server-to-server</th><td>2</td><td>0</td>" in body
    assert "One-click (RFC 8058)</th><td>2</td><td>0</td>" in body
    assert "Pixel" not in body
    assert 'id="nav-sidebar"' not in body  # no admin sidebar on the compliance pages


def test_a_category_label_and_whole_list_rows_come_through_the_rollup() -> None:
    newsletter = MailingListFactory.create(name="News")
    offers = CategoryFactory.create(mailing_list=newsletter, name="Offers")
    opt_out(newsletter, DAY1, Source.PREFERENCE_CENTER, category=offers)
    opt_out(newsletter, DAY1, Source.ONE_CLICK)
    refresh_event_rollup()

    found = report(lists=MailingList.objects.all(), period=Period(DAY1.date(), DAY1.date()))

    assert {(r.label, r.opt_outs) for r in found.categories} == {
        ("Offers (News)", 1),
        ("Whole list", 1),
    }


def test_the_command_folds_and_says_how_much(data_set, capsys) -> None:
    call_command("refresh_event_rollup")

    assert "12 events folded into" in capsys.readouterr().out
    assert DailyEventCount.objects.exists()


def test_beat_refreshes_the_rollup_every_minute() -> None:
    entry = django_settings.CELERY_BEAT_SCHEDULE["refresh-event-rollup"]
    assert entry == {"task": "consent.tasks.refresh_event_rollup", "schedule": 60.0}


def test_an_event_committed_late_with_a_smaller_id_is_not_lost(on_postgresql: None) -> None:
    """A transaction that drew its event id before a newer event committed: the fold must
    wait for it, not move the watermark past it."""
    newsletter = MailingListFactory.create()
    slow, fast = ContactFactory.create(), ContactFactory.create()
    inserted, release, done = threading.Event(), threading.Event(), threading.Event()

    def slow_writer() -> None:
        try:
            # A transaction left open by hand: the service's durable block does not commit it.
            transaction.set_autocommit(False)
            opt_out(newsletter, DAY1, Source.ONE_CLICK, contact=slow)
            inserted.set()
            release.wait(timeout=30)
            transaction.commit()
            transaction.set_autocommit(True)
        finally:
            connection.close()
            done.set()

    thread = threading.Thread(target=slow_writer)
    thread.start()
    assert inserted.wait(timeout=30)
    opt_out(newsletter, DAY1, Source.MAILTO, contact=fast)  # a larger id, committed first

    first = refresh_event_rollup(wait=0.2)
    release.set()
    assert done.wait(timeout=30)
    thread.join()
    second = refresh_event_rollup(wait=5)
    lists = MailingList.objects.filter(pk=newsletter.pk)
    found = report(lists=lists, period=Period(DAY1.date(), DAY1.date()))

    slow_id = ConsentEvent.objects.get(contact=slow).pk
    assert first.folded_to < slow_id  # not settled: left for the next run
    assert first.pending is not None
    assert second.folded_to == ConsentEvent.objects.latest("pk").pk
    assert second.pending is None
    assert DailyEventCount.objects.filter(mailing_list=newsletter).count() == 2
    assert found.days[0].opt_outs == 2
