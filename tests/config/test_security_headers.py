from __future__ import annotations

import re

import pytest
from django.test import Client

from tests.lists.factories import MailingListFactory, UserFactory

pytestmark = pytest.mark.django_db


def csp_directives(header: str) -> dict[str, list[str]]:
    directives = {}
    for part in header.split(";"):
        name, *values = part.split()
        directives[name] = values
    return directives


@pytest.mark.parametrize("url", ["/admin/login/", "/healthz"])
def test_every_page_carries_the_security_headers(client: Client, url: str) -> None:
    response = client.get(url)

    assert response.status_code == 200
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    directives = csp_directives(response["Content-Security-Policy"])
    assert directives["script-src"] == ["'self'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert directives["object-src"] == ["'none'"]


def test_the_csp_allows_no_inline_script_anywhere(client: Client) -> None:
    header = client.get("/admin/login/")["Content-Security-Policy"]

    assert "unsafe-inline" not in header
    assert "unsafe-eval" not in header
    assert "default-src 'self'" in header


def test_the_service_links_page_has_no_inline_script(client: Client) -> None:
    client.force_login(UserFactory.create(is_staff=True, is_superuser=True))
    mailing_list = MailingListFactory.create()

    response = client.get(f"/admin/lists/mailinglist/{mailing_list.pk}/service-links/")

    assert response.status_code == 200
    assert "unsafe-inline" not in response["Content-Security-Policy"]
    body = response.content.decode()
    scripts = re.findall(r"<script\b[^>]*>", body)
    assert scripts, "the page loads its scripts from files"
    assert all("src=" in tag for tag in scripts)
    assert not re.search(r"\son[a-z]+=", body)
