"""A person in Chromium: open a direct link, confirm, land on the thank-you page or redirect."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from consent.models import ConsentEvent, Source, Suppression
from consent.tokens import make_token
from lists.models import RedirectValue
from tests.browser import ARTIFACTS, needs_chromium
from tests.consent.factories import ContactFactory
from tests.lists.factories import ListTranslationFactory, MailingListFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    needs_chromium,
]


def _assert_accessible(page) -> None:
    axe = pytest.importorskip("axe_playwright_python.sync_playwright")
    results = axe.Axe().run(page)
    assert results.violations_count == 0, results.generate_report()


def _shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


@pytest.mark.parametrize(
    ("locale", "query"),
    [("fr-FR", ""), ("en-US", "?lang=fr")],
    ids=["accept-language", "lang-parameter"],
)
def test_a_french_subscriber_confirms_and_reads_the_french_thank_you(
    live_server, browser, locale: str, query: str
) -> None:
    newsletter = MailingListFactory.create(name="La Lettre", default_language="en")
    ListTranslationFactory.create(mailing_list=newsletter, language="en", thank_you_title="Bye")
    ListTranslationFactory.create(
        mailing_list=newsletter,
        language="fr",
        thank_you_title="Vous êtes désinscrit",
        thank_you_text="Vous ne recevrez plus La Lettre.",
    )
    contact = ContactFactory.create()
    token = make_token(contact=contact, mailing_list=newsletter)
    context = browser.new_context(locale=locale)
    page = context.new_page()

    page.goto(f"{live_server.url}/u/{newsletter.uuid}/{token}/{query}")
    assert page.locator("html").get_attribute("lang") == "fr"
    assert "La Lettre" in page.locator("main").inner_text()
    assert not Suppression.objects.exists()  # the confirmation page changed nothing
    _assert_accessible(page)
    _shot(page, f"direct-link-confirm-{locale}")
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()

    assert page.locator("h1").inner_text() == "Vous êtes désinscrit"
    assert "Vous ne recevrez plus La Lettre." in page.locator("main").inner_text()
    assert Suppression.objects.get().contact == contact
    assert ConsentEvent.objects.get().source == Source.DIRECT_LINK
    assert context.cookies() == []  # neither page set a cookie
    _assert_accessible(page)
    _shot(page, f"direct-link-thank-you-{locale}")
    context.close()


def test_the_redirect_variant_lands_with_the_address_in_the_query(live_server, browser) -> None:
    newsletter = MailingListFactory.create(name="Offers")
    # The landing page is Optout's own hosted page of another list: its form shows the
    # parameter that arrived, which proves the server received it.
    landing = MailingListFactory.create(name="Landing")
    ListTranslationFactory.create(
        mailing_list=newsletter,
        language="en",
        redirect_url=f"{live_server.url}/u/{landing.uuid}/?utm_source=optout",
        redirect_value=RedirectValue.EMAIL,
        redirect_parameter="email",
    )
    contact = ContactFactory.create(address="jane+offers@example.com")
    token = make_token(contact=contact, mailing_list=newsletter)
    context = browser.new_context(locale="en-US")
    page = context.new_page()

    page.goto(f"{live_server.url}/u/{newsletter.uuid}/{token}/")
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(f"**/u/{landing.uuid}/**")

    arrived = urlsplit(page.url)
    assert parse_qs(arrived.query) == {
        "utm_source": ["optout"],
        "email": ["jane+offers@example.com"],
    }
    assert page.locator("input[name=email]").input_value() == "jane+offers@example.com"
    assert Suppression.objects.get().mailing_list == newsletter
    _shot(page, "direct-link-redirect")
    context.close()


def test_the_hosted_page_prefilled_from_the_link_opts_out_on_submit(live_server, browser) -> None:
    newsletter = MailingListFactory.create(name="Weekly")
    ListTranslationFactory.create(mailing_list=newsletter, language="en", thank_you_title="Done")
    context = browser.new_context(locale="en-US")
    page = context.new_page()

    page.goto(f"{live_server.url}/u/{newsletter.uuid}/?email=jane%2Bweekly@example.com")
    field = page.get_by_label("Email address")
    assert field.input_value() == "jane+weekly@example.com"
    assert not Suppression.objects.exists()  # the prefilled GET changed nothing
    _assert_accessible(page)
    _shot(page, "hosted-page")
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()

    assert page.locator("h1").inner_text() == "Done"
    suppression = Suppression.objects.select_related("contact").get()
    assert suppression.contact is not None
    assert suppression.contact.address == "jane+weekly@example.com"
    assert ConsentEvent.objects.get().source == Source.HOSTED_PAGE
    context.close()
