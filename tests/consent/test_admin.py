from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission, User
from django.test import Client

from consent.models import Action, ConsentEvent, Source, Suppression
from consent.origins import Origin
from consent.services import unsubscribe
from tests.consent.factories import ContactFactory, SuppressionFactory
from tests.lists.factories import GroupFactory, MailingListFactory, UserFactory

pytestmark = pytest.mark.django_db

ORIGIN = Origin(source=Source.ONE_CLICK)


@pytest.fixture(autouse=True)
def _fast_passwords(settings) -> None:
    # Logins are not under test here; the real hasher costs seconds per user on a busy machine.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def marketer(client: Client) -> tuple[Client, User]:
    """A staff user of team "north" who may view consent and run the consent actions."""
    user = UserFactory.create(is_staff=True)
    user.groups.add(GroupFactory.create(name="north"))
    user.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="consent",
            codename__in=[
                "view_consentevent",
                "view_suppression",
                "view_contact",
                "change_suppression",
            ],
        )
    )
    client.force_login(user)
    return client, user


def _lists():
    north = MailingListFactory.create(name="North News", team=GroupFactory.create(name="north"))
    south = MailingListFactory.create(name="South News", team=GroupFactory.create(name="south"))
    return north, south


def test_events_cannot_be_added_changed_or_deleted_from_admin(admin_client: Client) -> None:
    event = unsubscribe(
        contact=ContactFactory.create(), mailing_list=MailingListFactory.create(), origin=ORIGIN
    ).event

    listing = admin_client.get("/admin/consent/consentevent/")
    add = admin_client.get("/admin/consent/consentevent/add/")
    change = admin_client.post(f"/admin/consent/consentevent/{event.pk}/change/", {"source": "x"})
    delete = admin_client.post(f"/admin/consent/consentevent/{event.pk}/delete/", {"post": "yes"})

    assert listing.status_code == 200
    assert "One-click (RFC 8058)" in listing.content.decode()
    assert (add.status_code, change.status_code, delete.status_code) == (403, 403, 403)
    assert ConsentEvent.objects.get().source == Source.ONE_CLICK


def test_the_event_list_filters_by_source_action_list_and_date(admin_client: Client) -> None:
    north, south = _lists()
    unsubscribe(contact=ContactFactory.create(), mailing_list=north, origin=ORIGIN)
    unsubscribe(contact=ContactFactory.create(), mailing_list=south, origin=ORIGIN)

    page = admin_client.get("/admin/consent/consentevent/").content.decode()
    filtered = admin_client.get(
        f"/admin/consent/consentevent/?source=pixel&mailing_list__id__exact={north.pk}"
    )

    for title in ("By source", "By action", "By list", "By occurred at"):
        assert title in page
    assert filtered.status_code == 200
    assert filtered.context["cl"].result_count == 0


def test_a_marketer_sees_only_the_rows_of_their_teams_lists(marketer) -> None:
    client, _ = marketer
    north, south = _lists()
    mine, theirs = ContactFactory.create(), ContactFactory.create()
    unsubscribe(contact=mine, mailing_list=north, origin=ORIGIN)
    unsubscribe(contact=theirs, mailing_list=south, origin=ORIGIN)

    events = client.get("/admin/consent/consentevent/")
    suppressions = client.get("/admin/consent/suppression/")
    contacts = client.get("/admin/consent/contact/")

    assert [row.mailing_list for row in events.context["cl"].result_list] == [north]
    assert [row.mailing_list for row in suppressions.context["cl"].result_list] == [north]
    assert list(contacts.context["cl"].result_list) == [mine]
    assert "South News" not in events.content.decode()


@pytest.mark.parametrize(
    "term",
    ["  JANE@Bücher.Example ", "jane@xn--bcher-kva.example", "md5", "sha256"],
)
def test_suppressions_are_found_by_address_or_its_hashes(admin_client: Client, term: str) -> None:
    jane = ContactFactory.create(address="jane@xn--bcher-kva.example")
    SuppressionFactory.create(contact=jane)
    SuppressionFactory.create()
    query = {"md5": jane.md5, "sha256": jane.sha256}.get(term, term)

    response = admin_client.get("/admin/consent/suppression/", {"q": query})

    assert [row.contact for row in response.context["cl"].result_list] == [jane]


def test_a_channel_level_suppression_is_found_by_any_address_of_the_person(
    admin_client: Client,
) -> None:
    ContactFactory.create(address="home@example.com", profile_key="person-1")
    suppression = SuppressionFactory.create(contact=None, profile_key="person-1")

    response = admin_client.get("/admin/consent/suppression/", {"q": "home@example.com"})

    assert list(response.context["cl"].result_list) == [suppression]


def test_resubscribe_action_lifts_the_opt_out_through_the_service(marketer) -> None:
    client, user = marketer
    north, _ = _lists()
    contact = ContactFactory.create()
    unsubscribe(contact=contact, mailing_list=north, origin=ORIGIN)

    response = client.post(
        "/admin/consent/suppression/",
        {"action": "resubscribe_selected", "_selected_action": [Suppression.objects.get().pk]},
        follow=True,
    )

    assert "1 opt-out lifted." in response.content.decode()
    assert not Suppression.objects.exists()
    event = ConsentEvent.objects.latest("pk")
    assert (event.action, event.source, event.detail) == (
        Action.OPT_IN,
        Source.ADMIN,
        {"admin_user_id": user.pk},
    )


def test_unsubscribe_action_asks_for_a_list_of_the_team_then_calls_the_service(
    marketer,
) -> None:
    client, _ = marketer
    north, south = _lists()
    contact = ContactFactory.create()
    unsubscribe(contact=contact, mailing_list=north, origin=ORIGIN)  # makes it the team's
    Suppression.objects.all().delete()  # (test set-up only: admin never deletes)
    offers = MailingListFactory.create(name="North Offers", team=north.team)
    selected = {"action": "unsubscribe_from_list", "_selected_action": [contact.pk]}

    form = client.post("/admin/consent/contact/", selected)
    refused = client.post(
        "/admin/consent/contact/", {**selected, "apply": "1", "mailing_list": south.pk}
    )
    done = client.post(
        "/admin/consent/contact/",
        {**selected, "apply": "1", "mailing_list": offers.pk},
        follow=True,
    )

    page = form.content.decode()
    assert "North Offers" in page
    assert "South News" not in page
    assert refused.status_code == 200
    assert "Select a valid choice" in refused.content.decode()
    assert "1 contact unsubscribed from North Offers." in done.content.decode()
    assert Suppression.objects.get().mailing_list == offers
    assert ConsentEvent.objects.filter(source=Source.ADMIN, mailing_list=offers).count() == 1


def test_contacts_cannot_be_edited_from_admin(admin_client: Client) -> None:
    contact = ContactFactory.create(profile_key="person-1")

    response = admin_client.post(
        f"/admin/consent/contact/{contact.pk}/change/", {"profile_key": "person-2"}
    )

    assert response.status_code == 403
    contact.refresh_from_db()
    assert contact.profile_key == "person-1"


def test_without_the_consent_permission_no_action_is_offered(client: Client) -> None:
    user = UserFactory.create(is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_suppression"))
    client.force_login(user)

    response = client.get("/admin/consent/suppression/")

    assert response.status_code == 200
    assert "resubscribe_selected" not in response.content.decode()
