from __future__ import annotations

import pytest
from django.test.utils import override_settings

from lists import services
from tests.lists.factories import MailerAccessFactory, MailingListFactory

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("public_url"),
]

BASE = "https://optout.example.com"


@pytest.fixture
def public_url():
    with override_settings(
        OPTOUT_PUBLIC_URL=BASE, OPTOUT_MAILTO_DOMAIN="", OPTOUT_MAILTO_LOCAL_PART="unsubscribe"
    ):
        yield


def test_recipient_links_are_absolute_and_carry_the_token() -> None:
    mailing_list = MailingListFactory.create()
    uuid = mailing_list.uuid

    links = services.recipient_links(mailing_list=mailing_list, token="tok.EN-1")

    assert links.preference_url == f"{BASE}/p/tok.EN-1/"
    assert links.unsubscribe_url == f"{BASE}/u/{uuid}/tok.EN-1/"
    assert links.one_click_url == f"{BASE}/o/tok.EN-1/"
    assert links.mailto == "mailto:unsubscribe+tok.EN-1@optout.example.com"


def test_placeholders_are_kept_literally_not_percent_encoded() -> None:
    mailing_list = MailingListFactory.create()

    links = services.recipient_links(mailing_list=mailing_list, token="{token}")

    assert links.preference_url == f"{BASE}/p/{{token}}/"
    assert links.unsubscribe_url == f"{BASE}/u/{mailing_list.uuid}/{{token}}/"
    assert links.one_click_url == f"{BASE}/o/{{token}}/"
    assert "%7B" not in (links.headers.list_unsubscribe or "")
    assert services.direct_link_template(mailing_list=mailing_list) == (
        f"{BASE}/u/{mailing_list.uuid}/?email={{email}}"
    )


def test_headers_offer_mailto_and_one_click_by_default() -> None:
    mailing_list = MailingListFactory.create()

    headers = services.unsubscribe_headers(mailing_list=mailing_list, token="abc")

    assert headers.list_unsubscribe == (
        f"<mailto:unsubscribe+abc@optout.example.com?subject=unsubscribe>, <{BASE}/o/abc/>"
    )
    assert headers.list_unsubscribe_post == "List-Unsubscribe=One-Click"
    assert headers.as_dict() == {
        "List-Unsubscribe": headers.list_unsubscribe,
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


def test_without_one_click_the_header_links_to_the_confirming_page_and_has_no_post() -> None:
    mailing_list = MailingListFactory.create(one_click_enabled=False)

    headers = services.unsubscribe_headers(mailing_list=mailing_list, token="abc")

    assert headers.list_unsubscribe == (
        f"<mailto:unsubscribe+abc@optout.example.com?subject=unsubscribe>, "
        f"<{BASE}/u/{mailing_list.uuid}/abc/>"
    )
    assert headers.list_unsubscribe_post is None
    assert "List-Unsubscribe-Post" not in headers.as_dict()


def test_without_mailto_the_header_has_only_the_https_uri() -> None:
    mailing_list = MailingListFactory.create(mailto_enabled=False)

    links = services.recipient_links(mailing_list=mailing_list, token="abc")

    assert links.headers.list_unsubscribe == f"<{BASE}/o/abc/>"
    assert links.mailto is None


@override_settings(OPTOUT_MAILTO_DOMAIN="mail.example.net", OPTOUT_MAILTO_LOCAL_PART="leave")
def test_the_mailto_address_uses_the_configured_domain_and_local_part() -> None:
    assert services.mailto_address(token="abc") == "leave+abc@mail.example.net"


def test_transactional_lists_get_no_header_at_all() -> None:
    mailing_list = MailingListFactory.create(transactional=True)

    headers = services.unsubscribe_headers(mailing_list=mailing_list, token="abc")

    assert headers.list_unsubscribe is None
    assert headers.list_unsubscribe_post is None
    assert headers.as_dict() == {}
    labels = [str(link.label) for link in services.service_links(mailing_list=mailing_list)]
    assert "List-Unsubscribe header" not in labels
    assert "List-Unsubscribe-Post header" not in labels


def test_service_links_list_every_link_of_the_list() -> None:
    mailing_list = MailingListFactory.create()
    uuid = mailing_list.uuid

    links = {
        str(link.label): link.value for link in services.service_links(mailing_list=mailing_list)
    }

    assert links == {
        "Hosted opt-out page": f"{BASE}/u/{uuid}/",
        "Direct link template": f"{BASE}/u/{uuid}/?email={{email}}",
        "Direct link (per recipient)": f"{BASE}/u/{uuid}/{{token}}/",
        "Preference center template": f"{BASE}/p/{{token}}/",
        "One-click URL template (RFC 8058)": f"{BASE}/o/{{token}}/",
        "Mailto address template": "mailto:unsubscribe+{token}@optout.example.com",
        "List-Unsubscribe header": (
            "<mailto:unsubscribe+{token}@optout.example.com?subject=unsubscribe>, "
            f"<{BASE}/o/{{token}}/>"
        ),
        "List-Unsubscribe-Post header": "List-Unsubscribe=One-Click",
        "Server-to-server opt-out endpoint (POST)": f"{BASE}/api/v1/lists/{uuid}/opt-outs/",
        "Scrub endpoint (POST)": f"{BASE}/api/v1/lists/{uuid}/scrub/",
        "Suppression download (addresses)": f"{BASE}/api/v1/lists/{uuid}/suppressions/plain/",
        "Suppression download (MD5)": f"{BASE}/api/v1/lists/{uuid}/suppressions/md5/",
        "Suppression download (SHA-256)": f"{BASE}/api/v1/lists/{uuid}/suppressions/sha256/",
    }


def test_a_mailer_access_adds_its_pixel_snippet() -> None:
    access = MailerAccessFactory.create()
    uuid = access.mailing_list.uuid

    links = services.service_links(mailing_list=access.mailing_list, access=access)

    assert str(links[-1].label) == "Pixel snippet"
    assert links[-1].value == (
        f'<img src="{BASE}/x/{uuid}/{access.pixel_key}.gif?email={{email}}" '
        'width="1" height="1" alt="" style="display:none">'
    )
