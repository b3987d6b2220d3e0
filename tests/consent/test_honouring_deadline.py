from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core import mail
from django.template.loader import render_to_string
from django.test import Client

from consent import tasks
from consent.models import DownloadKind, HonouringDigest, Source
from consent.origins import Origin
from consent.selectors.compliance import (
    download_watermark,
    honouring_status_for_mailer,
    honouring_statuses,
    late_mailers,
)
from consent.services import record_download, send_honouring_digests, unsubscribe
from lists.models import MailingList
from tests.consent.factories import ContactFactory
from tests.consent.staff import marketer, superuser
from tests.lists.factories import (
    GroupFactory,
    MailerAccessFactory,
    MailingListFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

MONDAY = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def opt_out(mailing_list, at, origin=None):
    with time_machine.travel(at, tick=False):
        unsubscribe(
            contact=ContactFactory.create(),
            mailing_list=mailing_list,
            origin=origin or Origin(source=Source.HOSTED_PAGE),
        )


def download(access, at, *, since=None):
    with time_machine.travel(at, tick=False):
        record_download(
            mailer=access.mailer,
            mailing_list=access.mailing_list,
            kind=DownloadKind.DOWNLOAD,
            since=since,
            rows=0,
            requested_at=at,
            watermark=download_watermark(mailing_list=access.mailing_list),
        )


def status_of(access, now):
    (status,) = honouring_status_for_mailer(access.mailer, now=now)
    return status


def test_a_new_list_gives_mailers_48_hours() -> None:
    assert MailingListFactory.create().honour_within_hours == 48


def test_a_mailer_is_on_time_until_the_deadline_and_late_after_it() -> None:
    access = MailerAccessFactory.create()
    opt_out(access.mailing_list, MONDAY)

    just_in_time = status_of(access, MONDAY + timedelta(hours=48))
    too_late = status_of(access, MONDAY + timedelta(hours=48, seconds=1))

    assert not just_in_time.late
    assert just_in_time.oldest_unfetched_at == MONDAY
    assert just_in_time.due_at == MONDAY + timedelta(hours=48)
    assert too_late.late
    assert too_late.unfetched_since == timedelta(hours=48, seconds=1)


def test_a_download_after_the_opt_out_makes_the_mailer_up_to_date() -> None:
    access = MailerAccessFactory.create()
    opt_out(access.mailing_list, MONDAY)
    download(access, MONDAY + timedelta(hours=47))

    status = status_of(access, MONDAY + timedelta(days=10))

    assert not status.late
    assert status.oldest_unfetched_at is None
    assert status.last_fetch_at == MONDAY + timedelta(hours=47)


def test_the_oldest_opt_out_after_the_last_download_is_the_one_that_counts() -> None:
    access = MailerAccessFactory.create()
    opt_out(access.mailing_list, MONDAY)
    download(access, MONDAY + timedelta(hours=1))
    opt_out(access.mailing_list, MONDAY + timedelta(hours=2))
    opt_out(access.mailing_list, MONDAY + timedelta(hours=3))

    status = status_of(access, MONDAY + timedelta(hours=50))

    assert status.oldest_unfetched_at == MONDAY + timedelta(hours=2)
    assert not status.late
    assert status_of(access, MONDAY + timedelta(hours=50, seconds=1)).late


def test_changes_since_downloads_chain_and_a_gap_leaves_its_opt_out_unfetched() -> None:
    access = MailerAccessFactory.create()
    opt_out(access.mailing_list, MONDAY)
    download(access, MONDAY + timedelta(hours=1))  # full
    opt_out(access.mailing_list, MONDAY + timedelta(hours=2))
    download(access, MONDAY + timedelta(hours=3), since=MONDAY + timedelta(hours=1))  # chained
    opt_out(access.mailing_list, MONDAY + timedelta(hours=4))  # falls in the gap below
    opt_out(access.mailing_list, MONDAY + timedelta(hours=6))
    download(access, MONDAY + timedelta(hours=7), since=MONDAY + timedelta(hours=5))

    status = status_of(access, MONDAY + timedelta(hours=60))

    assert status.oldest_unfetched_at == MONDAY + timedelta(hours=4)
    assert status.late


def test_a_shorter_list_deadline_makes_the_mailer_late_sooner() -> None:
    access = MailerAccessFactory.create(
        mailing_list=MailingListFactory.create(honour_within_hours=24)
    )
    opt_out(access.mailing_list, MONDAY)

    assert status_of(access, MONDAY + timedelta(hours=25)).late


def test_opt_outs_the_mailer_reported_itself_never_make_it_late() -> None:
    access = MailerAccessFactory.create()
    opt_out(access.mailing_list, MONDAY, Origin(source=Source.S2S, mailer=access.mailer))

    assert not status_of(access, MONDAY + timedelta(days=5)).late


def test_repeated_opt_outs_that_changed_nothing_are_not_awaited() -> None:
    access = MailerAccessFactory.create()
    contact = ContactFactory.create()
    with time_machine.travel(MONDAY, tick=False):
        unsubscribe(
            contact=contact, mailing_list=access.mailing_list, origin=Origin(source=Source.API)
        )
    download(access, MONDAY + timedelta(hours=1))
    with time_machine.travel(MONDAY + timedelta(hours=2), tick=False):
        unsubscribe(
            contact=contact, mailing_list=access.mailing_list, origin=Origin(source=Source.API)
        )

    assert status_of(access, MONDAY + timedelta(days=5)).oldest_unfetched_at is None


def test_mailers_that_may_not_download_are_not_watched() -> None:
    access = MailerAccessFactory.create(can_download=False)
    opt_out(access.mailing_list, MONDAY)

    assert honouring_statuses(lists=MailingList.objects.all(), now=MONDAY + timedelta(days=9)) == []


def test_the_dashboard_lists_late_mailers_of_the_users_teams_only(client: Client) -> None:
    ours, theirs = GroupFactory.create(), GroupFactory.create()
    our_access = MailerAccessFactory.create(
        mailing_list=MailingListFactory.create(team=ours, name="Ours")
    )
    their_access = MailerAccessFactory.create(
        mailing_list=MailingListFactory.create(team=theirs, name="Theirs")
    )
    opt_out(our_access.mailing_list, MONDAY)
    opt_out(their_access.mailing_list, MONDAY)
    client.force_login(marketer(ours))

    with time_machine.travel(MONDAY + timedelta(days=3), tick=False):
        response = client.get("/admin/consent/honouring/")

    body = response.content.decode()
    assert response.status_code == 200
    assert 'id="late-mailers"' in body
    assert our_access.mailer.name in body
    assert their_access.mailer.name not in body
    assert "Theirs" not in body


def test_the_dashboard_says_so_when_everyone_is_on_time(client: Client) -> None:
    access = MailerAccessFactory.create()
    opt_out(access.mailing_list, MONDAY)
    client.force_login(superuser())

    with time_machine.travel(MONDAY + timedelta(hours=1), tick=False):
        response = client.get("/admin/consent/honouring/")

    assert 'id="late-mailers"' not in response.content.decode()
    assert "Every mailer fetched every opt-out" in response.content.decode()


def test_the_dashboard_refuses_staff_without_consent_permission(client: Client) -> None:
    client.force_login(UserFactory.create(is_staff=True, password=None))

    assert client.get("/admin/consent/honouring/").status_code == 403


def test_the_digest_goes_to_the_list_owners_once_a_day_and_only_when_someone_is_late() -> None:
    team = GroupFactory.create()
    owner = UserFactory.create(email="owner@brand.example", password=None)
    owner.groups.add(team)
    UserFactory.create(email="", password=None).groups.add(team)  # no address: not a recipient
    UserFactory.create(email="gone@brand.example", is_active=False, password=None).groups.add(team)
    UserFactory.create(email="stranger@brand.example", password=None)  # not in the team
    newsletter = MailingListFactory.create(team=team, name="Newsletter")
    access = MailerAccessFactory.create(mailing_list=newsletter)
    opt_out(newsletter, MONDAY)

    on_time = send_honouring_digests(now=MONDAY + timedelta(hours=47))
    assert on_time == 0
    assert mail.outbox == []

    late_at = MONDAY + timedelta(hours=49)
    with time_machine.travel(late_at, tick=False):
        first = tasks.send_honouring_digests.apply().get()
        again = send_honouring_digests(now=late_at + timedelta(hours=3))

    assert (first, again) == (1, 0)
    (message,) = mail.outbox
    assert message.to == ["owner@brand.example"]
    assert "Newsletter" in message.subject
    assert access.mailer.name in message.body
    assert "http://127.0.0.1:8000/admin/consent/honouring/" in message.body
    digest = HonouringDigest.objects.get()
    assert (digest.mailing_list, digest.day, digest.late_mailers) == (newsletter, late_at.date(), 1)
    assert digest.recipients == 1
    assert digest.sent_at is not None

    next_day = send_honouring_digests(now=late_at + timedelta(days=1))
    assert next_day == 1
    assert len(mail.outbox) == 2


def test_a_late_list_without_owners_sends_nothing() -> None:
    access = MailerAccessFactory.create()
    opt_out(access.mailing_list, MONDAY)

    assert send_honouring_digests(now=MONDAY + timedelta(days=3)) == 0
    assert mail.outbox == []
    assert late_mailers(lists=MailingList.objects.all(), now=MONDAY + timedelta(days=3))


def test_the_portal_include_shows_the_mailer_its_own_status_per_list() -> None:
    late_access = MailerAccessFactory.create(
        mailing_list=MailingListFactory.create(name="Late list")
    )
    fine = MailerAccessFactory.create(
        mailer=late_access.mailer, mailing_list=MailingListFactory.create(name="Fine list")
    )
    MailerAccessFactory.create(mailing_list=MailingListFactory.create(name="Someone else's"))
    opt_out(late_access.mailing_list, MONDAY)
    download(fine, MONDAY)

    statuses = honouring_status_for_mailer(late_access.mailer, now=MONDAY + timedelta(days=3))
    html = render_to_string("compliance/_mailer_status.html", {"statuses": statuses})

    assert [(s.mailing_list.name, s.late) for s in statuses] == [
        ("Fine list", False),
        ("Late list", True),
    ]
    assert "Late list" in html
    assert "Fine list" in html
    assert "Someone else" not in html
    assert html.count("Late</span>") == 1
    assert "Up to date" in html
