from __future__ import annotations

import csv
import io
import re
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import translation

from consent.charts import grouped_bars
from consent.models import Source
from consent.origins import Origin
from consent.selectors.reports import (
    Period,
    Row,
    rows_by_category,
    rows_by_reason,
    rows_by_source,
    rows_per_day,
)
from consent.services import resubscribe, unsubscribe
from lists.models import MailingList
from tests.consent.factories import ContactFactory
from tests.consent.staff import marketer
from tests.lists.factories import (
    CategoryFactory,
    GroupFactory,
    MailingListFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

DAY1 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
PERIOD = Period(start=date(2026, 3, 1), end=date(2026, 3, 7))


def opt_out(mailing_list, at, source, *, category=None, reason="", contact=None):
    contact = contact or ContactFactory.create()
    with time_machine.travel(at, tick=False):
        unsubscribe(
            contact=contact,
            mailing_list=mailing_list,
            category=category,
            origin=Origin(source=source, reason=reason),
        )
    return contact


@pytest.fixture
def data_set():
    """Known events on two lists of one team, one list of another team.

    Newsletter: day 1: 2 one-click (one "too many"), 1 mailto, 1 repeat (no change);
                day 3: 1 preference-center opt-out of category "offers" ("not relevant"),
                       1 re-subscribe (opt-in) of a day-1 contact.
    Alerts:     day 2: 1 s2s opt-out.  Other team: day 1: 5 pixel opt-outs.
    Outside the period (day 10): 1 one-click opt-out on Newsletter.
    """
    team = GroupFactory.create()
    newsletter = MailingListFactory.create(team=team, name="Newsletter")
    alerts = MailingListFactory.create(team=team, name="Alerts")
    foreign = MailingListFactory.create(name="Foreign")
    offers = CategoryFactory.create(mailing_list=newsletter, name="Offers")
    first = opt_out(newsletter, DAY1, Source.ONE_CLICK, reason="too many")
    opt_out(newsletter, DAY1, Source.ONE_CLICK)
    opt_out(newsletter, DAY1, Source.MAILTO)
    opt_out(newsletter, DAY1, Source.ONE_CLICK, contact=first)  # a repeat: no change
    opt_out(
        newsletter,
        DAY1 + timedelta(days=2),
        Source.PREFERENCE_CENTER,
        category=offers,
        reason="not relevant",
    )
    with time_machine.travel(DAY1 + timedelta(days=2), tick=False):
        resubscribe(
            contact=first, mailing_list=newsletter, origin=Origin(source=Source.RESUBSCRIBE)
        )
    opt_out(alerts, DAY1 + timedelta(days=1), Source.S2S)
    for _ in range(5):
        opt_out(foreign, DAY1, Source.PIXEL)
    opt_out(newsletter, DAY1 + timedelta(days=9), Source.ONE_CLICK)
    return {"team": team, "newsletter": newsletter, "alerts": alerts, "foreign": foreign}


def counts(rows):
    return {row.label: (row.opt_outs, row.opt_ins) for row in rows}


def test_per_day_counts_every_day_of_the_period(data_set) -> None:
    lists = MailingList.objects.filter(team=data_set["team"])

    rows = rows_per_day(lists=lists, period=PERIOD)

    assert [(row.key, row.opt_outs, row.opt_ins) for row in rows] == [
        ("2026-03-01", 0, 0),
        ("2026-03-02", 3, 0),
        ("2026-03-03", 1, 0),
        ("2026-03-04", 1, 1),
        ("2026-03-05", 0, 0),
        ("2026-03-06", 0, 0),
        ("2026-03-07", 0, 0),
    ]


def test_counts_by_source_category_and_reason_for_one_list(data_set) -> None:
    lists = MailingList.objects.filter(pk=data_set["newsletter"].pk)

    assert counts(rows_by_source(lists=lists, period=PERIOD)) == {
        "One-click (RFC 8058)": (2, 0),
        "Mailto": (1, 0),
        "Preference center": (1, 0),
        "Re-subscribe": (0, 1),
    }
    assert counts(rows_by_category(lists=lists, period=PERIOD)) == {
        "Whole list": (3, 1),
        "Offers (Newsletter)": (1, 0),
    }
    assert counts(rows_by_reason(lists=lists, period=PERIOD)) == {
        "No reason given": (2, 1),
        "too many": (1, 0),
        "not relevant": (1, 0),
    }


def test_the_report_page_shows_the_marketers_lists_only(client: Client, data_set) -> None:
    client.force_login(marketer(data_set["team"]))

    response = client.get("/admin/consent/reports/", {"start": "2026-03-01", "end": "2026-03-07"})

    body = response.content.decode()
    assert response.status_code == 200
    found = re.search(r'<table[^>]*id="report-sources".*?</table>', body, re.S)
    assert found is not None
    sources = found.group(0)
    assert re.search(r"One-click \(RFC 8058\)</th><td>2</td><td>0</td>", sources)
    assert re.search(r"Server-to-server</th><td>1</td><td>0</td>", sources)
    assert "Pixel" not in sources  # the other team's list
    assert "<svg" in body
    assert body.count('class="chart-opt-out"') == 7
    assert "style=" not in body.split("<svg", 1)[1].split("</svg>", 1)[0]
    assert f'<option value="{data_set["foreign"].pk}">' not in body


def test_a_list_of_another_team_cannot_be_chosen(client: Client, data_set) -> None:
    client.force_login(marketer(data_set["team"]))

    page = client.get("/admin/consent/reports/", {"mailing_list": data_set["foreign"].pk})
    export = client.get(
        "/admin/consent/reports/sources.csv", {"mailing_list": data_set["foreign"].pk}
    )

    assert "Select a valid choice" in page.content.decode()
    assert "Pixel" not in page.content.decode()
    assert export.status_code == 404


def test_every_table_exports_as_streamed_csv(client: Client, data_set) -> None:
    client.force_login(marketer(data_set["team"]))
    query = {"mailing_list": data_set["newsletter"].pk, "start": "2026-03-01", "end": "2026-03-07"}

    exports = {
        table: client.get(f"/admin/consent/reports/{table}.csv", query)
        for table in ("days", "sources", "categories", "reasons")
    }

    for response in exports.values():
        assert response.streaming
        assert response["Content-Type"] == "text/csv; charset=utf-8"
    tables = {
        table: list(csv.reader(io.StringIO(r.getvalue().decode()))) for table, r in exports.items()
    }
    assert tables["days"][0] == ["Key", "Label", "Opt-outs", "Opt-ins"]
    assert tables["days"][2] == ["2026-03-02", "2026-03-02", "3", "0"]
    assert ["one_click", "One-click (RFC 8058)", "2", "0"] in tables["sources"]
    assert ["", "Whole list", "3", "1"] in tables["categories"]
    assert ["too many", "too many", "1", "0"] in tables["reasons"]
    assert exports["days"]["Content-Disposition"] == (
        'attachment; filename="optout-days-2026-03-01-2026-03-07.csv"'
    )


def test_the_csv_defuses_reasons_that_look_like_formulas(client: Client) -> None:
    team = GroupFactory.create()
    newsletter = MailingListFactory.create(team=team)
    opt_out(newsletter, DAY1, Source.HOSTED_PAGE, reason='=HYPERLINK("http://x")')
    client.force_login(marketer(team))

    response = client.get(
        "/admin/consent/reports/reasons.csv", {"start": "2026-03-01", "end": "2026-03-07"}
    )

    rows = list(csv.reader(io.StringIO(response.getvalue().decode())))
    assert rows[1][:2] == ['\'=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")']


def test_a_reversed_period_is_refused(client: Client, data_set) -> None:
    client.force_login(marketer(data_set["team"]))

    response = client.get("/admin/consent/reports/", {"start": "2026-03-07", "end": "2026-03-01"})

    assert "The period ends before it starts." in response.content.decode()


def test_reports_need_the_consent_permission(client: Client, data_set) -> None:
    client.force_login(UserFactory.create(is_staff=True, password=None))

    assert client.get("/admin/consent/reports/").status_code == 403
    assert client.get("/admin/consent/reports/days.csv").status_code == 403


def test_chart_coordinates_stay_svg_numbers_in_every_language() -> None:
    rows = [Row(key=str(n), label=f"<day {n}>", opt_outs=n, opt_ins=1) for n in range(7)]

    with translation.override("fr"):
        chart = grouped_bars(rows)
        bars = str(chart.bars_svg)

    assert bars.count('<rect class="chart-opt-out"') == 7
    assert not re.search(r'(x|y|width|height)="[^"]*,', bars)
    assert "&lt;day 3&gt;: 3 " in bars  # labels escaped, counts in the tooltip
    assert all("," not in tick.position for tick in chart.x_labels + chart.y_ticks)
