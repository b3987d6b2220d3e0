from __future__ import annotations

from io import StringIO

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.auth.models import User
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client, RequestFactory

from consent.models import Contact, Suppression
from lists.keys import key_for
from lists.models import MailerApiKey, MailingList, ReasonMode

pytestmark = pytest.mark.django_db


def run_demo() -> str:
    out = StringIO()
    call_command("demo", force=True, stdout=out)
    return out.getvalue()


def snapshot() -> dict[str, list[tuple[object, ...]]]:
    """Every row of every table the demo may touch, as plain values."""
    labels = ["lists", "auth"]
    return {
        model._meta.label: sorted(model._default_manager.values_list(), key=repr)
        for label in labels
        for model in apps.get_app_config(label).get_models()
    } | {
        "groups": sorted(User.groups.through.objects.values_list(), key=repr),
        "permissions": sorted(User.user_permissions.through.objects.values_list(), key=repr),
    }


def marketer_client(client: Client) -> Client:
    client.force_login(User.objects.get(username="marketer"))
    return client


def test_the_demo_creates_the_lists_mailer_and_logins_of_the_issue() -> None:
    output = run_demo()

    newsletter = MailingList.objects.get(slug="demo-newsletter")
    assert newsletter.categories.count() == 3
    assert sorted(newsletter.translations.values_list("language", flat=True)) == ["de", "en", "fr"]
    assert not newsletter.transactional
    assert MailingList.objects.get(slug="demo-transactional").transactional
    mailer = newsletter.mailers.get()
    assert mailer.name == "demo-mailer"
    assert sorted(mailer.networks.values_list("cidr", flat=True)) == ["127.0.0.0/8", "::1/128"]
    assert User.objects.get(username="admin").is_superuser
    marketer = User.objects.get(username="marketer")
    assert (marketer.is_staff, marketer.is_superuser) == (True, False)
    assert list(marketer.groups.values_list("name", flat=True)) == [newsletter.team.name]
    assert marketer.has_perm("lists.change_mailinglist")
    assert marketer.has_perm("lists.add_allowednetwork")
    assert list(mailer.users.values_list("username", flat=True)) == ["mailer"]
    assert not User.objects.get(username="mailer").is_staff
    for username, password in [
        ("admin", "demo-admin-password"),
        ("marketer", "demo-marketer-password"),
        ("mailer", "demo-mailer-password"),
    ]:
        assert f"user {username}" in output
        assert password in output
        assert User.objects.get(username=username).check_password(password)
    assert "demo passwords" in output


def test_the_demo_newsletter_shows_translated_categories_reasons_and_branding() -> None:
    run_demo()

    newsletter = MailingList.objects.get(slug="demo-newsletter")
    assert list(newsletter.categories.values_list("slug", flat=True)) == [
        "news",
        "offers",
        "events",
    ]
    for category in newsletter.categories.all():
        assert sorted(category.translations.values_list("language", flat=True)) == ["de", "fr"]
    news = newsletter.categories.get(slug="news")
    assert news.translations.get(language="fr").name == "Actualités"
    assert news.translations.get(language="de").name == "Neuigkeiten"
    assert newsletter.reason_mode == ReasonMode.OPTIONAL
    reasons = list(newsletter.reasons.all())
    assert [reason.slug for reason in reasons] == ["too-many", "not-relevant"]
    assert {t.language: t.label for t in reasons[0].translations.all()} == {
        "fr": "Je reçois trop d'e-mails",
        "de": "Ich bekomme zu viele E-Mails",
    }
    assert newsletter.accent_color == "#6f42c1"
    assert newsletter.privacy_url == "https://example.com/privacy"
    assert newsletter.footer_text.startswith("Demo Company")
    assert newsletter.translations.get(language="de").footer_text.startswith("Demo Company")
    newsletter.full_clean()  # the demo's values pass the admin's own validation


def test_the_demo_fills_missing_branding_but_keeps_what_was_edited() -> None:
    run_demo()
    MailingList.objects.filter(slug="demo-newsletter").update(
        accent_color="#198754", footer_text=""
    )

    run_demo()

    newsletter = MailingList.objects.get(slug="demo-newsletter")
    assert newsletter.accent_color == "#198754"
    assert newsletter.footer_text.startswith("Demo Company")


def test_the_demo_marketer_may_use_the_consent_and_compliance_pages(client: Client) -> None:
    run_demo()
    marketer = User.objects.get(username="marketer")
    client = marketer_client(client)

    for permission in [
        "consent.view_consentevent",
        "consent.view_suppression",
        "consent.view_contact",
        "consent.change_suppression",
        "consent.delete_contact",
        "consent.add_importjob",
        "consent.view_importjob",
        "consent.view_webhookdelivery",
        "consent.view_journeyoptoutrequest",
        "consent.change_journeyoptoutrequest",
        "lists.change_journeyintegration",
    ]:
        assert marketer.has_perm(permission), permission
    assert not marketer.has_perm("consent.change_consentevent")
    for url in [
        "/admin/consent/consentevent/",
        "/admin/consent/contact/",
        "/admin/consent/importjob/add/",
        "/admin/consent/webhookdelivery/",
        "/admin/consent/journeyoptoutrequest/",
        "/admin/lists/journeyintegration/add/",
        "/admin/consent/evidence/",
        "/admin/consent/honouring/",
        "/admin/consent/reports/",
    ]:
        assert client.get(url).status_code == 200, url
    request = RequestFactory().get("/admin/consent/suppression/")
    request.user = marketer
    assert "resubscribe_selected" in admin.site.get_model_admin(Suppression).get_actions(request)
    contact_actions = admin.site.get_model_admin(Contact).get_actions(request)
    assert {"unsubscribe_from_list", "forget_contacts"} <= set(contact_actions)


def test_the_demo_prints_a_fresh_api_key_for_the_demo_mailer_on_request() -> None:
    run_demo()
    before = snapshot()
    out = StringIO()

    call_command("demo", force=True, api_key=True, verbosity=0, stdout=out)
    call_command("demo", force=True, api_key=True, stdout=out)

    first, second = out.getvalue().splitlines()[0], out.getvalue().splitlines()[-1]
    assert "API key for demo-mailer" in second
    second = second.rsplit(" ", 1)[-1]
    assert first != second
    for clear in (first, second):
        api_key = key_for(clear)
        assert api_key is not None
        assert api_key.mailer.name == "demo-mailer"
    assert MailerApiKey.objects.count() == 2
    after = snapshot()
    del before["lists.MailerApiKey"], after["lists.MailerApiKey"]
    assert after == before  # the key is all --api-key adds


def test_running_the_demo_twice_changes_nothing() -> None:
    run_demo()
    first = snapshot()

    output = run_demo()

    assert snapshot() == first
    assert "password unchanged since creation" in output


def test_the_demo_keeps_a_password_changed_after_it_ran() -> None:
    run_demo()
    admin = User.objects.get(username="admin")
    admin.set_password("a new secret")
    admin.save()

    run_demo()

    assert User.objects.get(username="admin").check_password("a new secret")


def test_the_demo_refuses_to_run_without_debug() -> None:
    with pytest.raises(CommandError, match="DJANGO_DEBUG=true"):
        call_command("demo", stdout=StringIO())

    assert not MailingList.objects.exists()


def test_the_demo_marketer_sees_the_demo_list_and_its_service_links(client: Client) -> None:
    run_demo()
    newsletter = MailingList.objects.get(slug="demo-newsletter")
    login = client.post(
        "/admin/login/?next=/admin/",
        {"username": "marketer", "password": "demo-marketer-password", "next": "/admin/"},
    )
    assert login.status_code == 302
    assert login["Location"] == "/admin/"

    changelist = client.get("/admin/lists/mailinglist/").content.decode()
    links = client.get(f"/admin/lists/mailinglist/{newsletter.pk}/service-links/")

    assert "Demo newsletter" in changelist
    assert f"/admin/lists/mailinglist/{newsletter.pk}/service-links/" in changelist
    assert links.status_code == 200
    assert f"/u/{newsletter.uuid}/?email={{email}}" in links.content.decode()


def test_the_demo_can_apply_migrations_first() -> None:
    out = StringIO()

    call_command("demo", force=True, migrate=True, verbosity=0, stdout=out)

    assert "Demo data is ready" in out.getvalue()
    assert MailingList.objects.filter(slug__startswith="demo-").count() == 2
