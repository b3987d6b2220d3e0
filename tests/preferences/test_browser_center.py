"""The preference center in Chromium: real clicks, the keyboard, axe-core, with and without JS."""

from __future__ import annotations

from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe

from consent.models import Action, ConsentEvent, Contact, Source, Suppression
from consent.tokens import make_token
from lists.models import ConsentLevel, ReasonMode
from tests.browser import ARTIFACTS, needs_chromium
from tests.consent.factories import ContactFactory
from tests.lists.factories import (
    CategoryFactory,
    CategoryTranslationFactory,
    MailingListFactory,
    UnsubscribeReasonFactory,
)

WIDE, NARROW = 1280, 360

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    needs_chromium,
]


@pytest.fixture
def newsletter_url(live_server: Any) -> tuple[str, Contact, list[Any]]:
    """A branded list with three categories, reasons and translations; its center's URL."""
    newsletter = MailingListFactory.create(
        name="Northwind Weekly",
        accent_color="#7c3aed",
        privacy_url="https://northwind.example/privacy",
        footer_text="Northwind Traders · 12 Harbour Street · Portsmouth",
        reason_mode=ReasonMode.OPTIONAL,
    )
    categories = [
        CategoryFactory.create(
            mailing_list=newsletter,
            name="Weekly digest",
            description="The best stories of the week, every Friday morning.",
            position=1,
        ),
        CategoryFactory.create(
            mailing_list=newsletter,
            name="Offers and promotions",
            description="Discounts and early access to sales, about twice a month.",
            position=2,
        ),
        CategoryFactory.create(
            mailing_list=newsletter,
            name="Product news",
            description="New features and product announcements.",
            position=3,
        ),
    ]
    CategoryTranslationFactory.create(
        category=categories[0],
        language="fr",
        name="Sélection de la semaine",
        description="Le meilleur de la semaine, chaque vendredi matin.",
    )
    for slug, label in (
        ("too-many", "I get too many emails"),
        ("not-relevant", "The content is not relevant to me"),
        ("never-signed-up", "I never signed up"),
    ):
        UnsubscribeReasonFactory.create(mailing_list=newsletter, slug=slug, label=label)
    contact = ContactFactory.create(address="ada.lovelace@example.com")
    token = make_token(contact=contact, mailing_list=newsletter)
    return f"{live_server.url}/p/{token}/", contact, categories


def open_page(browser: Any, url: str, *, width: int = WIDE, javascript: bool = True) -> Any:
    context = browser.new_context(
        viewport={"width": width, "height": 900}, java_script_enabled=javascript
    )
    page = context.new_page()
    response = page.goto(url)
    assert response is not None
    assert response.status == 200
    return page


def serious_violations(page: Any) -> list[str]:
    results = Axe().run(page)
    return [
        f"{violation['id']}: {violation['help']} ({len(violation['nodes'])} nodes)"
        for violation in results.response["violations"]
        if violation["impact"] in ("serious", "critical")
    ]


def screenshot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def test_switch_off_one_category_save_reload_unsubscribe_and_re_subscribe(
    browser: Any, newsletter_url
) -> None:
    url, _, (_, offers, _) = newsletter_url
    page = open_page(browser, url)
    page.locator("details.optout-reasons summary").click()  # audit the reasons too
    assert serious_violations(page) == []
    screenshot(page, f"preference-center-{WIDE}")
    switch = page.get_by_label("Offers and promotions")
    assert switch.is_checked()

    switch.uncheck()
    page.get_by_role("button", name="Save preferences").click()

    page.wait_for_load_state()
    assert "Your preferences are saved." in page.get_by_role("status").inner_text()
    page.reload()
    assert not page.get_by_label("Offers and promotions").is_checked()
    assert page.get_by_label("Weekly digest").is_checked()
    assert list(Suppression.objects.values_list("category", flat=True)) == [offers.pk]
    event = ConsentEvent.objects.get()
    assert (event.source, event.category_id) == (Source.PREFERENCE_CENTER, offers.pk)

    page.get_by_text("Leaving us? Tell us why (optional)").click()
    page.get_by_label("I get too many emails").check()
    page.get_by_role("button", name="Unsubscribe from everything").click()

    page.wait_for_load_state()
    assert page.get_by_role("heading", name="You are unsubscribed").is_visible()
    assert Suppression.objects.get(category=None).mailing_list.name == "Northwind Weekly"
    assert ConsentEvent.objects.order_by("-pk")[0].reason == "too-many"
    assert serious_violations(page) == []
    screenshot(page, f"preference-center-unsubscribed-{WIDE}")

    page.get_by_role("button", name="Re-subscribe to everything").click()

    page.wait_for_load_state()
    assert "Welcome back!" in page.get_by_role("status").inner_text()
    assert page.get_by_label("Offers and promotions").is_checked()
    assert not Suppression.objects.exists()
    latest = ConsentEvent.objects.order_by("-pk")[0]
    assert (latest.action, latest.source) == (Action.OPT_IN, Source.RESUBSCRIBE)
    page.context.close()


def test_the_language_switcher_changes_the_page_and_the_list_texts(
    browser: Any, newsletter_url
) -> None:
    url, _, _ = newsletter_url
    page = open_page(browser, url)

    page.get_by_role("navigation", name="Language").get_by_role("link", name="Français").click()

    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "fr"
    assert page.get_by_role("heading", level=1).inner_text() == "Préférences e-mail"
    assert page.get_by_label("Sélection de la semaine").is_checked()
    page.get_by_role("button", name="Enregistrer mes préférences").click()
    page.wait_for_load_state()
    assert page.url.endswith("?lang=fr")
    assert "Vos préférences sont enregistrées." in page.get_by_role("status").inner_text()

    page.get_by_role("link", name="Deutsch").click()  # the longest words: still fits a phone
    page.set_viewport_size({"width": NARROW, "height": 900})
    assert page.get_by_role("button", name="Einstellungen speichern").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= NARROW
    screenshot(page, f"preference-center-de-{NARROW}")
    page.context.close()


def test_the_form_works_with_the_keyboard_alone(browser: Any, newsletter_url) -> None:
    url, _, (digest, _, _) = newsletter_url
    page = open_page(browser, url)
    focused_ids = []

    for _ in range(12):
        page.keyboard.press("Tab")
        focused_ids.append(page.evaluate("document.activeElement.id"))
        if focused_ids[-1] == f"id_category_{digest.pk}":
            break
    assert focused_ids[-1] == f"id_category_{digest.pk}"
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline == "solid"  # focus is visible

    page.keyboard.press("Space")  # switch the digest off
    names = []
    for _ in range(8):
        page.keyboard.press("Tab")
        names.append(page.evaluate("document.activeElement.textContent.trim()"))
        if names[-1] == "Save preferences":
            break
    assert names[-1] == "Save preferences"
    page.keyboard.press("Enter")

    page.wait_for_load_state()
    assert "Your preferences are saved." in page.get_by_role("status").inner_text()
    assert list(Suppression.objects.values_list("category", flat=True)) == [digest.pk]
    page.context.close()


def test_on_a_phone_the_page_fits_and_passes_axe(browser: Any, newsletter_url) -> None:
    url, _, _ = newsletter_url
    page = open_page(browser, url, width=NARROW)
    page.locator("details.optout-reasons summary").click()

    assert serious_violations(page) == []
    # Nothing wider than the screen, down to 320 px: no sideways scrolling on a phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= NARROW
    screenshot(page, f"preference-center-{NARROW}")
    page.set_viewport_size({"width": 320, "height": 900})
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    page.context.close()


def test_without_javascript_the_page_works_and_passes_axe(browser: Any, newsletter_url) -> None:
    url, _, (_, _, product) = newsletter_url
    page = open_page(browser, url, javascript=False)
    # axe needs script to run: audit, in a scripted page, the very DOM the script-less one got.
    audit = open_page(browser, url)
    for width in (WIDE, NARROW):
        page.set_viewport_size({"width": width, "height": 900})
        audit.set_viewport_size({"width": width, "height": 900})
        audit.set_content(page.content())
        assert serious_violations(audit) == [], width
    audit.context.close()

    page.get_by_label("Product news").uncheck()
    page.get_by_role("button", name="Save preferences").click()

    page.wait_for_load_state()
    assert "Your preferences are saved." in page.get_by_role("status").inner_text()
    assert list(Suppression.objects.values_list("category", flat=True)) == [product.pk]
    page.context.close()


def test_a_channel_level_list_says_so_and_a_light_accent_stays_readable(
    browser: Any, live_server: Any
) -> None:
    newsletter = MailingListFactory.create(
        name="Contoso", consent_level=ConsentLevel.CHANNEL, accent_color="#ffcc00"
    )
    CategoryFactory.create(mailing_list=newsletter, name="Updates")
    contact = ContactFactory.create(profile_key="customer-42")
    token = make_token(contact=contact, mailing_list=newsletter)
    page = open_page(browser, f"{live_server.url}/p/{token}/", width=NARROW)

    assert page.get_by_text("These choices apply to you, not just to this address.").is_visible()
    assert serious_violations(page) == []  # includes colour contrast of the themed buttons
    screenshot(page, f"preference-center-channel-{NARROW}")
    page.context.close()
