"""Chromium drives the compliance pages as a marketer would: search, evidence, report."""

from __future__ import annotations

import pytest

from consent.models import Source
from consent.origins import Origin
from consent.services import unsubscribe
from consent.services.core import contact_for_address
from tests.browser import ARTIFACTS, needs_chromium
from tests.consent.staff import marketer
from tests.lists.factories import GroupFactory, MailerAccessFactory, MailingListFactory

PASSWORD = "correct horse battery staple"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    needs_chromium,
]


def test_a_marketer_searches_an_address_opens_its_evidence_and_a_report(live_server, page) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    team = GroupFactory.create(name="brand")
    newsletter = MailingListFactory.create(team=team, name="Weekly news")
    MailerAccessFactory.create(mailing_list=newsletter)
    contact = contact_for_address(address="reader@example.com")
    unsubscribe(
        contact=contact,
        mailing_list=newsletter,
        origin=Origin(source=Source.ONE_CLICK, ip="192.0.2.0", user_agent="Mail/1.0"),
    )
    user = marketer(team, password=PASSWORD)
    errors: list[str] = []
    page.on(
        "console", lambda message: errors.append(message.text) if message.type == "error" else None
    )

    page.goto(f"{live_server.url}/admin/login/?next=/admin/consent/evidence/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.get_by_label("Address, MD5 or SHA-256").fill("Reader@Example.com")
    page.get_by_role("button", name="Search").click()

    page.wait_for_url(f"**/admin/consent/evidence/{contact.pk}/")
    timeline = page.locator(".evidence-timeline")
    assert "one_click" in timeline.inner_text()
    assert "Mail/1.0" in timeline.inner_text()
    assert "reader@example.com" in page.locator("#contact-heading + dl").inner_text()
    page.screenshot(path=str(ARTIFACTS / "compliance-evidence.png"), full_page=True)

    page.get_by_role("link", name="Printable page").click()
    assert page.locator(".compliance-hash").first.inner_text().startswith("sha256:")
    page.screenshot(path=str(ARTIFACTS / "compliance-evidence-print.png"), full_page=True)

    page.goto(f"{live_server.url}/admin/consent/reports/?mailing_list={newsletter.pk}")
    sources = page.locator("#report-sources")
    assert "One-click (RFC 8058)" in sources.inner_text()
    assert page.locator("svg.compliance-chart rect.chart-opt-out").count() == 30
    page.screenshot(path=str(ARTIFACTS / "compliance-report.png"), full_page=True)

    assert not [error for error in errors if "Content Security Policy" in error]
    assert (ARTIFACTS / "compliance-report.png").stat().st_size > 0
