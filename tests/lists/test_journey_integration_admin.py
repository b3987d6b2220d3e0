"""Journey platform integrations in admin: write-only secret, endpoints shown, team check."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.test import Client

from consent.models import JourneyChannel, JourneyOptOutRequest, JourneyRequestState
from lists.models import ADOBE_DECRYPT_URL, JourneyIntegration
from tests.lists.factories import (
    GroupFactory,
    JourneyIntegrationFactory,
    MailingListFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

SECRET = "p8e-client-secret-value"


@pytest.fixture
def admin_client(client: Client) -> Client:
    client.force_login(UserFactory.create(is_staff=True, is_superuser=True))
    return client


def form_data(integration: JourneyIntegration, **changes: object) -> dict[str, object]:
    data = {
        "name": integration.name,
        "team": integration.team_id,
        "kind": integration.kind,
        "lists": [item.pk for item in integration.lists.all()] if integration.pk else [],
        "active": "on",
        "decrypt_url": integration.decrypt_url,
        "token_url": integration.token_url,
        "client_id": integration.client_id,
        "client_secret": "",
        "organization_id": integration.organization_id,
        "api_key": "",
        "scopes": integration.scopes,
        "sandbox": "",
    }
    return data | changes


def test_the_secret_is_never_shown_and_an_empty_field_keeps_it(admin_client: Client) -> None:
    team = GroupFactory.create()
    integration = JourneyIntegrationFactory.create(
        team=team, lists=[MailingListFactory.create(team=team)]
    )
    url = f"/admin/lists/journeyintegration/{integration.pk}/change/"

    page = admin_client.get(url)
    saved = admin_client.post(url, form_data(integration, name="Renamed"))

    assert SECRET not in page.content.decode()
    assert f"/j/{integration.endpoint_key}/" in page.content.decode()
    assert saved.status_code == 302
    integration.refresh_from_db()
    assert (integration.name, integration.client_secret) == ("Renamed", SECRET)
    admin_client.post(url, form_data(integration, client_secret="rotated-secret"))
    integration.refresh_from_db()
    assert integration.client_secret == "rotated-secret"


def test_a_new_integration_needs_a_secret_and_defaults_to_adobes_decrypt_url(
    admin_client: Client,
) -> None:
    team = GroupFactory.create()
    newsletter = MailingListFactory.create(team=team)
    draft = JourneyIntegration(name="AJO", team=team, client_id="id", organization_id="o@AdobeOrg")
    assert draft.decrypt_url == ADOBE_DECRYPT_URL

    refused = admin_client.post(
        "/admin/lists/journeyintegration/add/",
        {**form_data(draft), "lists": [newsletter.pk]},
    )
    created = admin_client.post(
        "/admin/lists/journeyintegration/add/",
        {**form_data(draft), "lists": [newsletter.pk], "client_secret": "s3cret"},
    )

    assert refused.status_code == 200
    assert b"Enter the client secret" in refused.content
    assert created.status_code == 302
    assert JourneyIntegration.objects.get().client_secret == "s3cret"
    assert list(JourneyIntegration.objects.get().lists.all()) == [newsletter]


def test_lists_of_another_team_are_refused(admin_client: Client) -> None:
    integration = JourneyIntegrationFactory.create()
    foreign = MailingListFactory.create(name="Not ours")

    response = admin_client.post(
        f"/admin/lists/journeyintegration/{integration.pk}/change/",
        form_data(integration, lists=[foreign.pk]),
    )

    assert response.status_code == 200
    assert b"These lists belong to another team: Not ours" in response.content


def test_failed_opt_outs_are_listed_by_default_and_cannot_be_deleted(admin_client: Client) -> None:
    integration = JourneyIntegrationFactory.create()
    failed = JourneyOptOutRequest.objects.create(
        integration=integration,
        channel=JourneyChannel.ONE_CLICK,
        params="P",
        pid="I",
        digest="a" * 64,
        state=JourneyRequestState.FAILED,
        attempts=10,
        last_error="decrypt API answered 503",
    )
    JourneyOptOutRequest.objects.create(
        integration=integration,
        channel=JourneyChannel.ONE_CLICK,
        params="P2",
        pid="I2",
        digest="b" * 64,
        state=JourneyRequestState.DONE,
    )

    page = admin_client.get("/admin/consent/journeyoptoutrequest/").content.decode()

    assert "decrypt API answered 503" in page
    assert page.count('name="_selected_action"') == 1
    assert (
        admin_client.get(f"/admin/consent/journeyoptoutrequest/{failed.pk}/delete/").status_code
        == 403
    )


def test_the_retry_action_puts_failed_rows_back_in_the_queue(
    admin_client: Client, django_capture_on_commit_callbacks
) -> None:
    failed = JourneyOptOutRequest.objects.create(
        integration=JourneyIntegrationFactory.create(),
        channel=JourneyChannel.ONE_CLICK,
        params="P",
        pid="I",
        digest="c" * 64,
        state=JourneyRequestState.FAILED,
        attempts=10,
    )

    with django_capture_on_commit_callbacks() as queued:
        response = admin_client.post(
            "/admin/consent/journeyoptoutrequest/",
            {"action": "retry", "_selected_action": [failed.pk]},
            follow=True,
        )

    failed.refresh_from_db()
    assert (failed.state, failed.attempts) == (JourneyRequestState.PENDING, 0)
    assert len(queued) == 1
    assert b"1 opt-out queued again." in response.content


def test_a_view_only_user_sees_failed_rows_but_cannot_retry_them(client: Client) -> None:
    team = GroupFactory.create()
    integration = JourneyIntegrationFactory.create(team=team)
    failed = JourneyOptOutRequest.objects.create(
        integration=integration,
        channel=JourneyChannel.ONE_CLICK,
        params="P",
        pid="I",
        digest="d" * 64,
        state=JourneyRequestState.FAILED,
        attempts=10,
    )
    auditor = UserFactory.create(is_staff=True)
    auditor.groups.add(team)
    auditor.user_permissions.add(Permission.objects.get(codename="view_journeyoptoutrequest"))
    client.force_login(auditor)

    page = client.get("/admin/consent/journeyoptoutrequest/")
    attempt = client.post(
        "/admin/consent/journeyoptoutrequest/",
        {"action": "retry", "_selected_action": [failed.pk]},
    )

    assert f"/admin/consent/journeyoptoutrequest/{failed.pk}/change/" in page.content.decode()
    assert 'value="retry"' not in page.content.decode()
    failed.refresh_from_db()
    assert (failed.state, failed.attempts) == (JourneyRequestState.FAILED, 10)
    assert attempt.status_code in (200, 302)


def test_an_integration_is_deactivated_never_deleted(admin_client: Client) -> None:
    integration = JourneyIntegrationFactory.create()

    page = admin_client.get(f"/admin/lists/journeyintegration/{integration.pk}/delete/")
    deleted = admin_client.post(
        f"/admin/lists/journeyintegration/{integration.pk}/delete/", {"post": "yes"}
    )

    assert page.status_code == 403
    assert deleted.status_code == 403
    assert JourneyIntegration.objects.filter(pk=integration.pk).exists()
