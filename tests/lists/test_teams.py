from __future__ import annotations

import pytest
from django.test import Client

from lists.models import MailingList
from tests.lists.conftest import Team
from tests.lists.factories import UserFactory

pytestmark = pytest.mark.django_db


BLUE_NAMES = [
    "blue list",
    "blue mailer",
    "blue category",
    "blue thanks",
    "blue office",
    "blue-list",
]


def other_team_urls(team: Team) -> list[str]:
    return [
        f"/admin/lists/mailinglist/{team.mailing_list.pk}/change/",
        f"/admin/lists/mailinglist/{team.mailing_list.pk}/delete/",
        f"/admin/lists/mailinglist/{team.mailing_list.pk}/history/",
        f"/admin/lists/mailinglist/{team.mailing_list.pk}/service-links/",
        f"/admin/lists/mailer/{team.mailer.pk}/change/",
        f"/admin/lists/category/{team.category.pk}/change/",
        f"/admin/lists/listtranslation/{team.translation.pk}/change/",
        f"/admin/lists/maileraccess/{team.access.pk}/change/",
        f"/admin/lists/allowednetwork/{team.network.pk}/change/",
    ]


def test_a_marketer_gets_404_on_every_page_of_another_teams_rows(
    client: Client, red: Team, blue: Team
) -> None:
    client.force_login(red.marketer)

    for url in other_team_urls(blue):
        response = client.get(url)
        assert response.status_code == 404, url
        assert b"blue" not in response.content, url


def test_a_marketer_opens_the_pages_of_their_own_team(
    client: Client, red: Team, blue: Team
) -> None:
    client.force_login(red.marketer)

    for url in other_team_urls(red):
        response = client.get(url)
        assert response.status_code == 200, url
        assert b"blue" not in response.content, url


def test_a_marketer_cannot_post_changes_to_another_teams_list(
    client: Client, red: Team, blue: Team
) -> None:
    client.force_login(red.marketer)

    response = client.post(
        f"/admin/lists/mailinglist/{blue.mailing_list.pk}/delete/", {"post": "yes"}
    )

    assert response.status_code == 404
    assert MailingList.objects.filter(pk=blue.mailing_list.pk).exists()


@pytest.mark.parametrize(
    ("changelist", "query"),
    [
        ("mailinglist", ""),
        ("mailinglist", "?q=blue"),
        ("mailinglist", "?team__id__exact={blue_group}"),
        ("mailer", ""),
        ("category", ""),
        ("listtranslation", ""),
        ("maileraccess", ""),
        ("allowednetwork", "?q=192.0.2"),
    ],
)
def test_changelists_show_only_the_marketers_team_rows(
    client: Client, red: Team, blue: Team, changelist: str, query: str
) -> None:
    client.force_login(red.marketer)

    response = client.get(f"/admin/lists/{changelist}/{query.format(blue_group=blue.group.pk)}")

    assert response.status_code == 200
    body = response.content.decode()
    for name in BLUE_NAMES:
        assert name not in body
    if "blue" not in query:
        assert any(name.replace("blue", "red") in body for name in BLUE_NAMES)


def test_a_changelist_filter_by_uuid_of_another_team_finds_nothing(
    client: Client, red: Team, blue: Team
) -> None:
    client.force_login(red.marketer)

    response = client.get(f"/admin/lists/mailinglist/?q={blue.mailing_list.uuid}")

    assert response.status_code == 200
    assert "0 mailing lists" in response.content.decode()


def test_a_marketer_finds_their_own_list_by_its_public_id(client: Client, red: Team) -> None:
    client.force_login(red.marketer)

    response = client.get(f"/admin/lists/mailinglist/?q={red.mailing_list.uuid}")

    assert "red list" in response.content.decode()
    assert "1 mailing list" in response.content.decode()


def test_team_choices_are_the_marketers_groups_only(client: Client, red: Team, blue: Team) -> None:
    client.force_login(red.marketer)

    response = client.post(
        "/admin/lists/mailinglist/add/",
        {
            "name": "Stolen",
            "slug": "stolen",
            "team": blue.group.pk,
            "default_language": "en",
            "consent_level": "identity",
            "categories-TOTAL_FORMS": 0,
            "categories-INITIAL_FORMS": 0,
            "translations-TOTAL_FORMS": 0,
            "translations-INITIAL_FORMS": 0,
            "accesses-TOTAL_FORMS": 0,
            "accesses-INITIAL_FORMS": 0,
        },
    )

    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not MailingList.objects.filter(slug="stolen").exists()
    form = response.context["adminform"].form
    assert list(form.fields["team"].queryset) == [red.group]


def test_a_marketer_creates_a_list_in_their_team(client: Client, red: Team) -> None:
    client.force_login(red.marketer)

    response = client.post(
        "/admin/lists/mailinglist/add/",
        {
            "name": "Red offers",
            "slug": "red-offers",
            "team": red.group.pk,
            "default_language": "fr",
            "consent_level": "channel",
            "one_click_enabled": "on",
            "categories-TOTAL_FORMS": 1,
            "categories-INITIAL_FORMS": 0,
            "categories-0-name": "Deals",
            "categories-0-slug": "deals",
            "categories-0-position": 0,
            "translations-TOTAL_FORMS": 0,
            "translations-INITIAL_FORMS": 0,
            "accesses-TOTAL_FORMS": 1,
            "accesses-INITIAL_FORMS": 0,
            "accesses-0-mailer": red.mailer.pk,
            "accesses-0-can_download": "on",
            "reason_mode": "off",
            "reasons-TOTAL_FORMS": 0,
            "reasons-INITIAL_FORMS": 0,
        },
    )

    assert response.status_code == 302
    created = MailingList.objects.get(slug="red-offers")
    assert (created.team, created.consent_level, created.mailto_enabled) == (
        red.group,
        "channel",
        False,
    )
    assert list(created.categories.values_list("slug", flat=True)) == ["deals"]
    access = created.accesses.get()
    assert (access.mailer, access.can_download, access.can_notify) == (red.mailer, True, False)


def test_a_marketer_cannot_give_another_teams_mailer_access(
    client: Client, red: Team, blue: Team
) -> None:
    client.force_login(red.marketer)

    response = client.post(
        "/admin/lists/maileraccess/add/",
        {"mailer": blue.mailer.pk, "mailing_list": red.mailing_list.pk, "can_notify": "on"},
    )

    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert red.mailing_list.accesses.count() == 1


def test_autocomplete_offers_only_the_marketers_mailers(
    client: Client, red: Team, blue: Team
) -> None:
    client.force_login(red.marketer)

    response = client.get(
        "/admin/autocomplete/",
        {"app_label": "lists", "model_name": "maileraccess", "field_name": "mailer", "term": ""},
    )

    assert response.status_code == 200
    assert [row["text"] for row in response.json()["results"]] == ["red mailer"]


def test_portal_user_choices_exclude_staff_and_other_teams_users(
    client: Client, red: Team, blue: Team
) -> None:
    free = UserFactory.create(username="free-mailer-user")
    theirs = UserFactory.create(username="blue-mailer-user")
    blue.mailer.users.add(theirs)
    client.force_login(red.marketer)

    response = client.get(f"/admin/lists/mailer/{red.mailer.pk}/change/")

    choices = list(response.context["adminform"].form.fields["users"].queryset)
    assert choices == [free]


def test_a_superuser_sees_every_team(client: Client, red: Team, blue: Team) -> None:
    client.force_login(UserFactory.create(is_staff=True, is_superuser=True))

    body = client.get("/admin/lists/mailinglist/").content.decode()

    assert "red list" in body
    assert "blue list" in body
    response = client.get(f"/admin/lists/mailinglist/{blue.mailing_list.pk}/service-links/")
    assert response.status_code == 200


def test_a_staff_user_without_permissions_is_refused(client: Client, red: Team) -> None:
    stranger = UserFactory.create(is_staff=True)
    stranger.groups.add(red.group)
    client.force_login(stranger)

    assert client.get("/admin/lists/mailinglist/").status_code == 403
    response = client.get(f"/admin/lists/mailinglist/{red.mailing_list.pk}/service-links/")
    assert response.status_code == 403
