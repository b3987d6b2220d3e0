from __future__ import annotations

import html

import pytest
from django.test import Client
from django.test.utils import override_settings

from tests.lists.factories import (
    CategoryFactory,
    MailerAccessFactory,
    MailerFactory,
    MailingListFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser_client(client: Client) -> Client:
    client.force_login(UserFactory.create(is_staff=True, is_superuser=True))
    return client


def test_every_list_row_has_a_service_links_button(superuser_client: Client) -> None:
    lists = MailingListFactory.create_batch(2)

    body = superuser_client.get("/admin/lists/mailinglist/").content.decode()

    for mailing_list in lists:
        assert (
            f'<a class="button" href="/admin/lists/mailinglist/{mailing_list.pk}/service-links/">'
            "Service links</a>"
        ) in body


def test_the_list_changelist_runs_a_fixed_number_of_queries(
    superuser_client: Client, django_assert_max_num_queries
) -> None:
    for mailing_list in MailingListFactory.create_batch(3):
        CategoryFactory.create_batch(2, mailing_list=mailing_list)
        MailerAccessFactory.create(mailing_list=mailing_list)
    superuser_client.get("/admin/lists/mailinglist/")  # warm the session and content types

    with django_assert_max_num_queries(8) as few:
        superuser_client.get("/admin/lists/mailinglist/")
    MailingListFactory.create_batch(10)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = superuser_client.get("/admin/lists/mailinglist/")

    assert response.status_code == 200


def test_the_mailer_changelist_runs_a_fixed_number_of_queries(
    superuser_client: Client, django_assert_max_num_queries
) -> None:
    MailerFactory.create_batch(2)
    superuser_client.get("/admin/lists/mailer/")
    with django_assert_max_num_queries(8) as few:
        superuser_client.get("/admin/lists/mailer/")
    MailerFactory.create_batch(10)

    with django_assert_max_num_queries(len(few.captured_queries)):
        superuser_client.get("/admin/lists/mailer/")


@override_settings(OPTOUT_PUBLIC_URL="https://optout.example.com")
def test_the_service_links_page_shows_every_link_read_only(superuser_client: Client) -> None:
    access = MailerAccessFactory.create(mailer__name="Acme Mail")
    mailing_list = access.mailing_list
    uuid = mailing_list.uuid

    response = superuser_client.get(f"/admin/lists/mailinglist/{mailing_list.pk}/service-links/")

    assert response.status_code == 200
    body = html.unescape(response.content.decode())
    for value in [
        f"https://optout.example.com/u/{uuid}/",
        f"https://optout.example.com/u/{uuid}/?email={{email}}",
        "https://optout.example.com/p/{token}/",
        "https://optout.example.com/o/{token}/",
        "mailto:unsubscribe+{token}@optout.example.com",
        "List-Unsubscribe=One-Click",
        f"https://optout.example.com/api/v1/lists/{uuid}/opt-outs/",
        f"https://optout.example.com/api/v1/lists/{uuid}/suppressions/sha256/",
        f"https://optout.example.com/x/{uuid}/{access.pixel_key}.gif",
        f'<img src="https://optout.example.com/x/{uuid}/{access.pixel_key}.gif?email={{email}}"',
    ]:
        assert f'value="{value}' in body or f">{value}" in body, value
    assert "Acme Mail" in body
    assert response.content.decode().count("readonly") >= 14
    assert "Service links" in body


def test_a_transactional_list_says_its_mail_has_no_header(superuser_client: Client) -> None:
    mailing_list = MailingListFactory.create(transactional=True)

    body = superuser_client.get(
        f"/admin/lists/mailinglist/{mailing_list.pk}/service-links/"
    ).content.decode()

    assert "carries no List-Unsubscribe header" in body
    assert "List-Unsubscribe-Post header" not in body


def test_the_service_links_page_of_a_missing_list_is_404(superuser_client: Client) -> None:
    assert superuser_client.get("/admin/lists/mailinglist/999999/service-links/").status_code == 404


def test_the_list_change_form_does_not_query_per_inline_row(
    superuser_client: Client, django_assert_max_num_queries
) -> None:
    mailing_list = MailingListFactory.create()
    MailerAccessFactory.create(mailing_list=mailing_list)
    CategoryFactory.create(mailing_list=mailing_list)
    url = f"/admin/lists/mailinglist/{mailing_list.pk}/change/"
    superuser_client.get(url)
    with django_assert_max_num_queries(30) as few:
        superuser_client.get(url)
    MailerAccessFactory.create_batch(5, mailing_list=mailing_list)
    CategoryFactory.create_batch(5, mailing_list=mailing_list)

    with django_assert_max_num_queries(len(few.captured_queries)):
        response = superuser_client.get(url)

    assert response.status_code == 200


def test_the_mailer_change_form_does_not_query_per_inline_row(
    superuser_client: Client, django_assert_max_num_queries
) -> None:
    mailer = MailerFactory.create()
    MailerAccessFactory.create(mailer=mailer)
    url = f"/admin/lists/mailer/{mailer.pk}/change/"
    superuser_client.get(url)
    with django_assert_max_num_queries(30) as few:
        superuser_client.get(url)
    MailerAccessFactory.create_batch(5, mailer=mailer)

    with django_assert_max_num_queries(len(few.captured_queries)):
        response = superuser_client.get(url)

    assert response.status_code == 200
