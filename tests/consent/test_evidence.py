from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from consent.models import ConsentEvent, DownloadKind, Source
from consent.origins import Origin
from consent.selectors.compliance import download_watermark
from consent.selectors.evidence import (
    EventSummary,
    content_hash,
    event_summary,
    evidence_document,
    verification_of,
    webhook_deliveries,
)
from consent.services import record_download, resubscribe, unsubscribe
from lists.models import MailingList
from tests.consent.factories import ContactFactory
from tests.consent.staff import marketer, superuser
from tests.lists.factories import (
    CategoryFactory,
    GroupFactory,
    MailerAccessFactory,
    MailingListFactory,
)

pytestmark = pytest.mark.django_db

MONDAY = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def history():
    """A contact that opted out of a category, then of the list, then back in, on one list,
    and out of a list of another team; one mailer fetched the first opt-out."""
    team = GroupFactory.create()
    contact = ContactFactory.create(address="alice@example.com")
    news = CategoryFactory.create(
        mailing_list=MailingListFactory.create(team=team, slug="brand-news")
    )
    newsletter = news.mailing_list
    access = MailerAccessFactory.create(mailing_list=newsletter)
    hidden = MailingListFactory.create(slug="other-team-list")
    origin = Origin(
        source=Source.ONE_CLICK,
        ip="192.0.2.0",
        user_agent="Mail/1.0",
        request_id="req-abc",
        reason="too many mails",
        detail={"campaign": "spring"},
    )
    with time_machine.travel(MONDAY, tick=False):
        unsubscribe(contact=contact, mailing_list=newsletter, category=news, origin=origin)
    with time_machine.travel(MONDAY + timedelta(hours=2), tick=False):
        record_download(
            mailer=access.mailer,
            mailing_list=newsletter,
            kind=DownloadKind.SCRUB,
            rows=1,
            requested_at=MONDAY + timedelta(hours=2),
            watermark=download_watermark(mailing_list=newsletter),
        )
    with time_machine.travel(MONDAY + timedelta(days=1), tick=False):
        unsubscribe(contact=contact, mailing_list=newsletter, origin=Origin(source=Source.MAILTO))
        unsubscribe(contact=contact, mailing_list=hidden, origin=Origin(source=Source.PIXEL))
    with time_machine.travel(MONDAY + timedelta(days=2), tick=False):
        resubscribe(
            contact=contact, mailing_list=newsletter, origin=Origin(source=Source.RESUBSCRIBE)
        )
        unsubscribe(contact=contact, mailing_list=newsletter, origin=Origin(source=Source.S2S))
    return {
        "team": team,
        "contact": contact,
        "list": newsletter,
        "access": access,
        "hidden": hidden,
    }


@pytest.mark.parametrize(
    "query",
    [
        " Alice@EXAMPLE.com ",
        "C160F8CC69A4F0BF2B0362752353D060",
        "ff8d9819fc0e12bf0d24892e45987e249a28dce836a85cad60e28eaaa8c6d976",
    ],
    ids=["address", "md5", "sha256"],
)
def test_search_by_address_or_hash_opens_the_evidence_page(client: Client, history, query) -> None:
    client.force_login(marketer(history["team"]))

    response = client.get("/admin/consent/evidence/", {"q": query})

    assert response.status_code == 302
    assert response["Location"] == f"/admin/consent/evidence/{history['contact'].pk}/"


def test_the_evidence_page_shows_the_timeline_suppressions_and_receipts(
    client: Client, history
) -> None:
    client.force_login(marketer(history["team"]))

    body = client.get(f"/admin/consent/evidence/{history['contact'].pk}/").content.decode()

    assert "alice@example.com" in body
    assert "192.0.2.0" in body
    assert "Mail/1.0" in body
    assert "req-abc" in body
    assert "too many mails" in body
    assert "spring" in body
    for source in ("one_click", "mailto", "resubscribe", "s2s"):
        assert source in body
    assert history["access"].mailer.name in body
    assert "(scrub)" in body
    assert "not yet" in body  # the later opt-outs were never fetched


def test_evidence_json_carries_every_field_and_a_hash_that_checks(client: Client, history) -> None:
    client.force_login(marketer(history["team"]))

    response = client.get(f"/admin/consent/evidence/{history['contact'].pk}/evidence.json")

    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    document = json.loads(response.content)
    assert document["format"] == "optout-evidence/1"
    assert document["contact"]["address"] == "alice@example.com"
    assert document["contact"]["erased"] is False
    assert [list_["slug"] for list_ in document["lists"]] == ["brand-news"]
    assert [(e["action"], e["source"]) for e in document["events"]] == [
        ("opt_out", "one_click"),
        ("opt_out", "mailto"),
        ("opt_in", "resubscribe"),
        ("opt_out", "s2s"),
    ]
    first = document["events"][0]
    assert first == {
        **first,
        "scope": "category",
        "level": "identity",
        "changed": True,
        "list": "brand-news",
        "category": history["list"].categories.get().slug,
        "mailer": None,
        "reason": "too many mails",
        "occurred_at": "2026-03-02T09:00:00+00:00",
        "ip": "192.0.2.0",
        "user_agent": "Mail/1.0",
        "request_id": "req-abc",
        "detail": {"campaign": "spring"},
        "webhook_deliveries": [],
    }
    assert first["received_by"] == [
        {
            "mailer": history["access"].mailer.name,
            "received_at": "2026-03-02T11:00:00+00:00",
            "via": "scrub",
        }
    ]
    assert document["events"][3]["received_by"][0]["received_at"] is None
    assert [(s["list"], s["category"]) for s in document["suppressions"]] == [("brand-news", None)]
    assert document["content_hash"] == content_hash(document)
    assert verification_of(response.content.decode()).valid


def test_a_changed_copy_fails_verification(client: Client, history) -> None:
    client.force_login(marketer(history["team"]))
    text = client.get(f"/admin/consent/evidence/{history['contact'].pk}/evidence.json").content
    document = json.loads(text)
    document["events"][0]["source"] = "admin"
    forged = json.dumps(document)
    rehashed = json.dumps({**document, "content_hash": content_hash(document)})

    assert not verification_of(forged).intact
    assert verification_of(rehashed).intact
    assert not verification_of(rehashed).issued_here
    assert not verification_of("not evidence at all").found


def test_the_printable_page_carries_the_hash_and_verifies(
    client: Client, history, tmp_path
) -> None:
    client.force_login(marketer(history["team"]))

    response = client.get(f"/admin/consent/evidence/{history['contact'].pk}/print/")

    html = response.content.decode()
    result = verification_of(html)
    assert result.valid
    assert result.content_hash in html
    assert "<script" not in html
    assert "style=" not in html
    saved = tmp_path / "evidence.html"
    saved.write_text(html, encoding="utf-8")
    out = call_command("verify_evidence", str(saved))
    assert out is None  # written to stdout; an invalid copy raises instead
    saved.write_text(html.replace("one_click", "hosted_page"), encoding="utf-8")
    with pytest.raises(CommandError, match="altered"):
        call_command("verify_evidence", str(saved))


def test_the_verification_page_checks_an_uploaded_copy(client: Client, history) -> None:
    client.force_login(marketer(history["team"]))
    text = client.get(f"/admin/consent/evidence/{history['contact'].pk}/evidence.json").content

    good = client.post(
        "/admin/consent/evidence/verify/",
        {"copy": SimpleUploadedFile("evidence.json", text, content_type="application/json")},
    )
    bad = client.post(
        "/admin/consent/evidence/verify/", {"text": text.decode().replace("mailto", "pixel")}
    )

    assert "Valid: the copy is unchanged" in good.content.decode()
    assert "Altered: the content no longer matches its hash." in bad.content.decode()


def test_marketers_see_only_their_teams_lists_in_the_evidence(client: Client, history) -> None:
    client.force_login(marketer(history["team"]))

    document = json.loads(
        client.get(f"/admin/consent/evidence/{history['contact'].pk}/evidence.json").content
    )
    page = client.get(f"/admin/consent/evidence/{history['contact'].pk}/").content.decode()

    assert "other-team-list" not in json.dumps(document)
    assert "pixel" not in [e["source"] for e in document["events"]]
    assert "other-team-list" not in page


def test_a_superuser_sees_every_list(client: Client, history) -> None:
    client.force_login(superuser())

    document = json.loads(
        client.get(f"/admin/consent/evidence/{history['contact'].pk}/evidence.json").content
    )

    assert {list_["slug"] for list_ in document["lists"]} == {"brand-news", "other-team-list"}


def test_a_contact_of_other_teams_only_is_not_found_nor_shown(client: Client, history) -> None:
    stranger = marketer(GroupFactory.create())
    client.force_login(stranger)
    contact = history["contact"]

    search = client.get("/admin/consent/evidence/", {"q": "alice@example.com"})
    pages = [
        client.get(f"/admin/consent/evidence/{contact.pk}/"),
        client.get(f"/admin/consent/evidence/{contact.pk}/evidence.json"),
        client.get(f"/admin/consent/evidence/{contact.pk}/print/"),
        client.get(f"/admin/consent/evidence/{contact.pk}/forget/"),
    ]

    assert search.status_code == 200
    assert "No contact of your lists matches this search." in search.content.decode()
    assert [page.status_code for page in pages] == [404, 404, 404, 404]


def test_an_unknown_address_and_a_malformed_query_find_nothing(client: Client, history) -> None:
    client.force_login(marketer(history["team"]))

    for query in ("nobody@example.com", "not an address"):
        response = client.get("/admin/consent/evidence/", {"q": query})
        assert "No contact of your lists matches this search." in response.content.decode()


def test_evidence_pages_need_a_logged_in_staff_user(client: Client, history) -> None:
    response = client.get(f"/admin/consent/evidence/{history['contact'].pk}/evidence.json")

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_without_a_delivery_model_the_webhook_seam_answers_nothing(history) -> None:
    assert webhook_deliveries(event_ids=[1, 2]) == {}


def test_the_consent_admin_page_links_the_compliance_pages(client: Client, history) -> None:
    client.force_login(marketer(history["team"]))

    body = client.get("/admin/consent/").content.decode()

    for url in (
        "/admin/consent/evidence/",
        "/admin/consent/honouring/",
        "/admin/consent/reports/",
        "/admin/consent/evidence/verify/",
    ):
        assert f'href="{url}"' in body


def test_the_evidence_document_costs_the_same_queries_for_many_events() -> None:
    newsletter = MailingListFactory.create()
    accesses = [MailerAccessFactory.create(mailing_list=newsletter) for _ in range(2)]
    category = CategoryFactory.create(mailing_list=newsletter)
    few, many = ContactFactory.create(), ContactFactory.create()
    for contact, count in ((few, 2), (many, 12)):
        for n in range(count):
            # Half with a category and a mailer: their names come with the events.
            unsubscribe(
                contact=contact,
                mailing_list=newsletter,
                category=category if n % 2 else None,
                origin=Origin(source=Source.API, mailer=accesses[0].mailer if n % 2 else None),
            )
    lists = MailingList.objects.all()

    costs = []
    for contact in (few, many):
        with CaptureQueriesContext(connection) as queries:
            document = evidence_document(
                contact=contact, lists=lists, generated_by="t", generated_at=timezone.now()
            )
        costs.append(len(queries))
        assert len(document["events"]) in {2, 12}
        assert {(e["category"], e["mailer"]) for e in document["events"]} == {
            (None, None),
            (category.slug, accesses[0].mailer.name),
        }

    assert costs[0] == costs[1]


@pytest.fixture
def long_history():
    """A contact with 7 events on one list, one minute apart; pages of 3."""
    team = GroupFactory.create()
    newsletter = MailingListFactory.create(team=team)
    contact = ContactFactory.create(address="long@example.com")
    for minute in range(7):
        with time_machine.travel(MONDAY + timedelta(minutes=minute), tick=False):
            action = resubscribe if minute % 2 else unsubscribe
            action(
                contact=contact,
                mailing_list=newsletter,
                origin=Origin(source=Source.API, request_id=f"req-{minute}"),
            )
    return {"team": team, "contact": contact}


def _shown(body: str) -> list[str]:
    return re.findall(r"req-\d", body)


def test_the_evidence_page_shows_one_page_of_events_and_counts_them_all(
    client: Client, long_history, settings
) -> None:
    settings.OPTOUT_EVIDENCE_PAGE_SIZE = 3
    client.force_login(marketer(long_history["team"]))
    url = f"/admin/consent/evidence/{long_history['contact'].pk}/"

    first = client.get(url).content.decode()
    after = re.search(r'href="\?after=(\d+)" rel="next"', first)
    assert after is not None
    second = client.get(url, {"after": after.group(1)}).content.decode()
    after = re.search(r'href="\?after=(\d+)" rel="next"', second)
    assert after is not None
    last = client.get(url, {"after": after.group(1)}).content.decode()
    before = re.search(r'href="\?before=(\d+)" rel="prev"', last)
    assert before is not None
    back = client.get(url, {"before": before.group(1)}).content.decode()

    assert _shown(first) == ["req-0", "req-1", "req-2"]
    assert _shown(second) == ["req-3", "req-4", "req-5"]
    assert _shown(last) == ["req-6"]
    assert 'rel="next"' not in last
    assert _shown(back) == ["req-3", "req-4", "req-5"]
    assert 'rel="prev"' not in first
    assert '<dd id="evidence-total">7</dd>' in first
    assert "<dt>Opt-outs</dt><dd>4</dd>" in first
    assert "<dt>Opt-ins</dt><dd>3</dd>" in first
    assert 'id="nav-sidebar"' not in first


def test_the_exports_hold_every_event_whatever_the_page_size(
    client: Client, long_history, settings
) -> None:
    settings.OPTOUT_EVIDENCE_PAGE_SIZE = 3
    client.force_login(marketer(long_history["team"]))
    contact_id = long_history["contact"].pk

    document = json.loads(client.get(f"/admin/consent/evidence/{contact_id}/evidence.json").content)
    printable = client.get(f"/admin/consent/evidence/{contact_id}/print/").content.decode()

    assert [e["request_id"] for e in document["events"]] == [f"req-{n}" for n in range(7)]
    assert verification_of(printable).valid
    assert sorted(set(_shown(printable))) == [f"req-{n}" for n in range(7)]


def test_the_evidence_page_costs_the_same_queries_for_many_events(
    client: Client, long_history, settings
) -> None:
    settings.OPTOUT_EVIDENCE_PAGE_SIZE = 3
    client.force_login(marketer(long_history["team"]))
    contact = long_history["contact"]
    url = f"/admin/consent/evidence/{contact.pk}/"
    client.get(url)  # session and permission caches

    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for _ in range(5):
        unsubscribe(
            contact=contact,
            mailing_list=MailingList.objects.get(team=long_history["team"]),
            origin=Origin(source=Source.API),
        )
    with CaptureQueriesContext(connection) as many:
        client.get(url)

    assert len(many) == len(few)


def test_a_cursor_outside_the_timeline_shows_the_first_page(
    client: Client, long_history, history, settings
) -> None:
    settings.OPTOUT_EVIDENCE_PAGE_SIZE = 3
    client.force_login(marketer(long_history["team"]))
    url = f"/admin/consent/evidence/{long_history['contact'].pk}/"
    foreign = ConsentEvent.objects.filter(contact=history["contact"]).first()
    assert foreign is not None

    for query in ({"after": foreign.pk}, {"before": foreign.pk}, {"after": "x"}):
        assert _shown(client.get(url, query).content.decode()) == ["req-0", "req-1", "req-2"]


def test_the_summary_counts_every_event_by_kind_with_the_first_and_last_times() -> None:
    newsletter, other = MailingListFactory.create_batch(2)
    contact = ContactFactory.create()
    steps = [
        (unsubscribe, newsletter),  # changed
        (unsubscribe, newsletter),  # repeat: changed nothing
        (resubscribe, newsletter),
        (unsubscribe, other),  # not among the lists asked about
    ]
    for minutes, (act, mailing_list) in enumerate(steps):
        with time_machine.travel(MONDAY + timedelta(minutes=minutes), tick=False):
            act(contact=contact, mailing_list=mailing_list, origin=Origin(source=Source.API))

    summary = event_summary(contact=contact, lists=MailingList.objects.filter(pk=newsletter.pk))
    nothing = event_summary(contact=ContactFactory.create(), lists=MailingList.objects.all())

    assert summary == EventSummary(
        total=3,
        opt_outs=2,
        opt_ins=1,
        unchanged=1,
        first_at=MONDAY,
        last_at=MONDAY + timedelta(minutes=2),
    )
    assert nothing == EventSummary(
        total=0, opt_outs=0, opt_ins=0, unchanged=0, first_at=None, last_at=None
    )
