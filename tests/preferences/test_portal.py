from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine
from django.test import Client

from consent.models import DownloadKind, DownloadLog, Source
from consent.origins import Origin
from consent.services import unsubscribe
from lists.models import MailerAccess, MailerApiKey
from tests.consent.factories import ContactFactory
from tests.lists.factories import (
    AllowedNetworkFactory,
    MailerAccessFactory,
    MailerFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def member(client: Client):
    """A logged-in person of a mailer with one list and one allowed network."""
    access = MailerAccessFactory.create(mailing_list__name="Weekly news")
    AllowedNetworkFactory.create(mailer=access.mailer, cidr="192.0.2.0/24")
    user = UserFactory.create()
    access.mailer.users.add(user)
    client.force_login(user)
    return access


def test_the_portal_asks_for_a_login(client: Client) -> None:
    response = client.get("/portal/")

    assert response.status_code == 302
    assert response["Location"].startswith("/portal/login/")


def test_the_login_page_logs_a_mailer_in(client: Client) -> None:
    UserFactory.create(username="ann")

    page = client.get("/portal/login/")
    response = client.post(
        "/portal/login/", {"username": "ann", "password": "correct horse battery staple"}
    )

    assert page.status_code == 200
    assert b'name="username"' in page.content
    assert response.status_code == 302
    assert response["Location"] == "/portal/"


def test_repeated_failed_logins_are_locked_out(client: Client, settings) -> None:
    UserFactory.create(username="ann")
    settings.AXES_FAILURE_LIMIT = 3
    for _ in range(3):
        client.post(
            "/portal/login/", {"username": "ann", "password": "wrong"}, REMOTE_ADDR="192.0.2.5"
        )

    response = client.post(
        "/portal/login/",
        {"username": "ann", "password": "correct horse battery staple"},
        REMOTE_ADDR="192.0.2.5",
    )

    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_home_lists_the_mailers_lists_and_networks(client: Client, member) -> None:
    MailerAccessFactory.create(mailing_list__name="Someone else's list")

    response = client.get("/portal/")

    body = response.content.decode()
    assert "Weekly news" in body
    assert "192.0.2.0/24" in body
    assert "Someone else" not in body
    assert f"/portal/{member.mailer.pk}/lists/{member.mailing_list.uuid}/" in body


def test_the_service_links_page_shows_every_link_a_mailer_needs(client: Client, member) -> None:
    uuid = member.mailing_list.uuid

    response = client.get(f"/portal/{member.mailer.pk}/lists/{uuid}/")

    body = response.content.decode()
    assert response.status_code == 200
    assert f"/u/{uuid}/?email={{email}}" in body
    assert "List-Unsubscribe=One-Click" in body
    assert f"/api/v1/lists/{uuid}/opt-outs/" in body
    assert "curl -X POST" in body
    assert "Authorization: Api-Key $OPTOUT_API_KEY" in body
    assert f"/x/{uuid}/{member.pixel_key}.gif?email={{email}}" in body
    for digest in ("plain", "md5", "sha256"):
        assert f"/api/v1/lists/{uuid}/suppressions/{digest}/" in body
    assert "<script" not in body
    assert ' style="' not in body  # the pixel snippet's style is shown escaped, not applied


def test_another_mailers_pages_are_404(client: Client, member) -> None:
    other = MailerAccessFactory.create()

    links = client.get(f"/portal/{other.mailer.pk}/lists/{other.mailing_list.uuid}/")
    keys = client.get(f"/portal/{other.mailer.pk}/keys/")
    foreign_list = client.get(f"/portal/{member.mailer.pk}/lists/{other.mailing_list.uuid}/")

    assert (links.status_code, keys.status_code, foreign_list.status_code) == (404, 404, 404)


def test_a_key_created_in_the_portal_is_shown_once_and_stored_hashed(
    client: Client, member
) -> None:
    created = client.post(f"/portal/{member.mailer.pk}/keys/", {"name": "CRM sync"})
    api_key = MailerApiKey.objects.get()
    clear = created.context["new_key"]
    later = client.get(f"/portal/{member.mailer.pk}/keys/")

    assert created.status_code == 200
    assert "no-store" in created["Cache-Control"]
    assert clear.encode() in created.content
    assert (api_key.name, api_key.mailer) == ("CRM sync", member.mailer)
    assert clear not in (api_key.id, api_key.hashed_key)
    assert clear.encode() not in later.content
    assert api_key.prefix.encode() in later.content
    works = client.get("/api/v1/lists/", headers={"Authorization": f"Api-Key {clear}"})
    assert works.status_code == 200


def test_revoking_a_key_in_the_portal_stops_it(client: Client, member) -> None:
    client.post(f"/portal/{member.mailer.pk}/keys/", {"name": "old"})
    api_key = MailerApiKey.objects.get()

    response = client.post(f"/portal/{member.mailer.pk}/keys/{api_key.prefix}/revoke/")

    assert response.status_code == 302
    api_key.refresh_from_db()
    assert api_key.revoked
    page = client.get(f"/portal/{member.mailer.pk}/keys/").content.decode()
    assert "revoked" in page


def test_a_user_without_a_mailer_sees_no_lists(client: Client) -> None:
    client.force_login(UserFactory.create())
    MailerFactory.create()

    response = client.get("/portal/")

    assert "not linked to a mailer" in response.content.decode()


def test_logout_is_a_post(client: Client, member) -> None:
    response = client.post("/portal/logout/")

    assert response.status_code == 302
    assert client.get("/portal/").status_code == 302


def test_the_list_page_shows_the_mailer_its_honouring_status(client: Client, member) -> None:
    contact = ContactFactory.create()
    with time_machine.travel(datetime(2026, 3, 2, 9, 0, tzinfo=UTC), tick=False):
        unsubscribe(
            contact=contact,
            mailing_list=member.mailing_list,
            origin=Origin(source=Source.ONE_CLICK),
        )
    url = f"/portal/{member.mailer.pk}/lists/{member.mailing_list.uuid}/"

    with time_machine.travel(datetime(2026, 3, 5, 9, 0, tzinfo=UTC), tick=False):
        late = client.get(url).content.decode()
        DownloadLog.objects.create(
            mailer=member.mailer,
            mailing_list=member.mailing_list,
            kind=DownloadKind.DOWNLOAD,
            rows=1,
            requested_at=datetime(2026, 3, 5, 9, 0, tzinfo=UTC),
            covered_until=datetime(2026, 3, 2, 9, 0, tzinfo=UTC),
        )
        fetched = client.get(url).content.decode()

    assert 'id="honouring-heading"' in late
    assert "Late" in late
    assert "never" in late
    assert "Up to date" in fetched
    assert "Late" not in fetched


def test_the_list_page_of_a_mailer_that_may_not_download_has_no_deadline(
    client: Client, member
) -> None:
    MailerAccess.objects.filter(pk=member.pk).update(can_download=False)

    page = client.get(f"/portal/{member.mailer.pk}/lists/{member.mailing_list.uuid}/")

    assert page.status_code == 200
    assert b"honouring-heading" not in page.content
