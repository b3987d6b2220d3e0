from __future__ import annotations

from io import StringIO

import pytest
from django.apps import apps
from django.contrib.auth.models import User
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from lists.models import MailingList

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
    } | {"m2m": sorted(User.groups.through.objects.values_list(), key=repr)}


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
