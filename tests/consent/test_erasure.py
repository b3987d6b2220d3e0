from __future__ import annotations

import pytest
from django.contrib import admin
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.messages import get_messages
from django.contrib.messages.storage.fallback import FallbackStorage
from django.contrib.sessions.backends.db import SessionStore
from django.db import DatabaseError, connection, transaction
from django.test import Client

from consent.admin_compliance import forget_contacts
from consent.models import (
    Action,
    ConsentEvent,
    Contact,
    EventIsAppendOnly,
    Source,
    Suppression,
    WebhookDelivery,
)
from consent.origins import Origin
from consent.services import forget_contact, is_suppressed, unsubscribe
from consent.services.core import contact_for_address
from tests.consent.factories import ContactFactory
from tests.consent.staff import marketer, superuser
from tests.lists.factories import GroupFactory, MailingListFactory, WebhookFactory

ADDRESS = "erase.me@example.com"
ADMIN = Origin(source=Source.ADMIN, ip="198.51.100.0", user_agent="admin-browser")


def opted_out_contact(*lists):
    contact = contact_for_address(address=ADDRESS)
    for mailing_list in lists:
        unsubscribe(
            contact=contact,
            mailing_list=mailing_list,
            origin=Origin(
                source=Source.HOSTED_PAGE,
                ip="203.0.113.0",
                user_agent="Firefox",
                request_id="req-1",
                detail={
                    "email": ADDRESS,
                    "form": {"typed": ADDRESS.upper(), "lang": "en"},
                    "campaign": "spring",
                    "cc": ["x", ADDRESS],
                },
            ),
        )
    return contact


def text_columns_holding(needle: str) -> list[str]:
    """Every (table.column) of text type, in every table, whose value contains `needle`."""
    found = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            for column in connection.introspection.get_table_description(cursor, table):
                kind = connection.introspection.get_field_type(column.type_code, column)
                if kind not in {"CharField", "TextField", "JSONField", "GenericIPAddressField"}:
                    continue
                quoted = connection.ops.quote_name(column.name)
                cursor.execute(
                    f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)} "  # noqa: S608
                    f"WHERE LOWER(CAST({quoted} AS TEXT)) LIKE %s",
                    [f"%{needle.lower()}%"],
                )
                if cursor.fetchone()[0]:
                    found.append(f"{table}.{column.name}")
    return found


def erase_everywhere_and_check() -> None:
    newsletter, offers = MailingListFactory.create_batch(2)
    for mailing_list in (newsletter, offers):
        # The outbox keeps each message with the address: erasure must reach it too.
        WebhookFactory.create(team=mailing_list.team)
    contact = opted_out_contact(newsletter, offers)
    assert WebhookDelivery.objects.filter(event__contact=contact).count() == 2
    LogEntry.objects.log_actions(
        user_id=superuser().pk,
        queryset=Suppression.objects.filter(contact=contact),
        action_flag=CHANGE,
    )
    assert text_columns_holding(ADDRESS)  # the check finds it before

    erasure = forget_contact(contact=contact, origin=ADMIN, erased_by="dpo")

    assert erasure.changed
    assert text_columns_holding(ADDRESS) == []
    payload = WebhookDelivery.objects.filter(event__contact=contact)[0].payload
    assert payload["data"]["contact"]["sha256"] == contact.sha256
    assert text_columns_holding("203.0.113.0") == []
    assert text_columns_holding("Firefox") == []
    contact.refresh_from_db()
    assert contact.address is None
    assert is_suppressed(contact=contact, mailing_list=newsletter)
    assert is_suppressed(contact=contact_for_address(address=ADDRESS), mailing_list=offers)
    assert Contact.objects.count() == 1  # the same address maps back to the same hashes
    kept = ConsentEvent.objects.filter(action=Action.OPT_OUT).order_by("pk")
    assert [event.source for event in kept] == [Source.HOSTED_PAGE, Source.HOSTED_PAGE]
    assert {event.request_id for event in kept} == {"req-1"}
    assert kept[0].detail == {"form": {"lang": "en"}, "campaign": "spring", "cc": ["x"]}
    erased = ConsentEvent.objects.filter(action=Action.ERASED).order_by("mailing_list_id")
    assert [event.mailing_list for event in erased] == [newsletter, offers]
    assert erased[0].detail == {"erased_by": "dpo"}
    assert erased[0].source == Source.ADMIN


@pytest.mark.django_db
def test_erasure_leaves_no_plaintext_address_anywhere_and_keeps_the_opt_out() -> None:
    erase_everywhere_and_check()


def test_erasure_on_postgresql_passes_the_trigger_and_leaves_no_address(on_postgresql) -> None:
    erase_everywhere_and_check()


@pytest.mark.django_db
def test_erasing_twice_changes_nothing_the_second_time() -> None:
    contact = opted_out_contact(MailingListFactory.create())
    forget_contact(contact=contact, origin=ADMIN, erased_by="dpo")

    again = forget_contact(contact=contact, origin=ADMIN, erased_by="dpo")

    assert not again.changed
    assert ConsentEvent.objects.filter(action=Action.ERASED).count() == 1


@pytest.mark.django_db
def test_the_orm_still_refuses_to_change_or_delete_events() -> None:
    opted_out_contact(MailingListFactory.create())
    event = ConsentEvent.objects.get()

    with pytest.raises(EventIsAppendOnly):
        ConsentEvent.objects.filter(pk=event.pk).update(ip=None)
    event.ip = None
    with pytest.raises(EventIsAppendOnly):
        event.save()
    with pytest.raises(EventIsAppendOnly):
        ConsentEvent.objects.all().delete()


def raw_update(sql: str, params: list[object], *, erasure: bool) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        if erasure:
            cursor.execute("SELECT set_config('optout.erasure', 'on', true)")
        cursor.execute(sql, params)


def test_the_trigger_refuses_every_other_change_even_during_erasure(on_postgresql) -> None:
    contact = opted_out_contact(MailingListFactory.create())
    event = ConsentEvent.objects.get()
    refused = [
        ("UPDATE consent_consentevent SET source = 'admin' WHERE id = %s", True),
        ("UPDATE consent_consentevent SET ip = NULL, reason = 'x' WHERE id = %s", True),
        ("UPDATE consent_consentevent SET ip = NULL, occurred_at = NOW() WHERE id = %s", True),
        ("UPDATE consent_consentevent SET ip = NULL, user_agent = '' WHERE id = %s", False),
        (
            """UPDATE consent_consentevent SET ip = NULL, user_agent = '',
            detail = '{"campaign": "autumn"}' WHERE id = %s""",
            True,
        ),
        ("UPDATE consent_consentevent SET ip = NULL WHERE id = %s", True),  # UA kept
        ("DELETE FROM consent_consentevent WHERE id = %s", True),
    ]
    for sql, erasure in refused:
        with pytest.raises(DatabaseError, match="append-only"):
            raw_update(sql, [event.pk], erasure=erasure)

    raw_update(
        """UPDATE consent_consentevent SET ip = NULL, user_agent = '',
           detail = '{"campaign": "spring"}' WHERE id = %s""",
        [event.pk],
        erasure=True,
    )

    event = ConsentEvent.objects.get()
    assert (event.ip, event.user_agent, event.detail) == (None, "", {"campaign": "spring"})
    assert event.contact == contact


@pytest.mark.django_db
def test_the_evidence_page_erases_for_a_permitted_marketer(client: Client) -> None:
    team = GroupFactory.create()
    contact = opted_out_contact(MailingListFactory.create(team=team))
    user = marketer(team, "delete_contact")
    client.force_login(user)

    confirm = client.get(f"/admin/consent/evidence/{contact.pk}/forget/")
    response = client.post(f"/admin/consent/evidence/{contact.pk}/forget/")

    assert "This cannot be undone." in confirm.content.decode()
    assert response.status_code == 302
    contact.refresh_from_db()
    assert contact.address is None
    erased = ConsentEvent.objects.get(action=Action.ERASED)
    assert erased.detail == {"erased_by": user.username}
    assert erased.ip == "127.0.0.0"  # the admin's request, anonymized
    page = client.get(f"/admin/consent/evidence/{contact.pk}/").content.decode()
    assert ADDRESS not in page
    assert "erased" in page
    found = client.get("/admin/consent/evidence/", {"q": ADDRESS.upper()})
    assert found["Location"] == f"/admin/consent/evidence/{contact.pk}/"  # by its hash


@pytest.mark.django_db
def test_marketers_cannot_erase_a_contact_also_on_another_teams_list(client: Client) -> None:
    team = GroupFactory.create()
    contact = opted_out_contact(MailingListFactory.create(team=team), MailingListFactory.create())
    client.force_login(marketer(team, "delete_contact"))

    response = client.post(f"/admin/consent/evidence/{contact.pk}/forget/")

    assert response.status_code == 403
    contact.refresh_from_db()
    assert contact.address == ADDRESS


@pytest.mark.django_db
def test_marketers_without_the_delete_permission_cannot_erase(client: Client) -> None:
    team = GroupFactory.create()
    contact = opted_out_contact(MailingListFactory.create(team=team))
    client.force_login(marketer(team))

    assert client.post(f"/admin/consent/evidence/{contact.pk}/forget/").status_code == 403
    assert Contact.objects.get().address == ADDRESS


@pytest.mark.django_db
def test_the_admin_action_erases_what_the_user_may_and_reports_the_rest(rf) -> None:
    team = GroupFactory.create()
    mine = opted_out_contact(MailingListFactory.create(team=team))
    shared = ContactFactory.create()
    unsubscribe(contact=shared, mailing_list=MailingListFactory.create(), origin=ADMIN)
    request = rf.post("/admin/consent/contact/")
    request.user = marketer(team, "delete_contact")
    request.session = SessionStore()
    request._messages = FallbackStorage(request)

    forget_contacts(
        admin.ModelAdmin(Contact, admin.site),
        request,
        Contact.objects.filter(pk__in=[mine.pk, shared.pk]),
    )

    assert Contact.objects.get(pk=mine.pk).address is None
    assert Contact.objects.get(pk=shared.pk).address == shared.address
    assert [str(message) for message in get_messages(request)] == [
        "1 contacts erased.",
        "1 contacts are also on lists of other teams: ask a superuser.",
    ]
