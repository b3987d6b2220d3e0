from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction

from consent.models import ConsentEvent, EventIsAppendOnly, Source
from consent.origins import Origin
from consent.services import unsubscribe
from tests.consent.factories import ContactFactory
from tests.lists.factories import MailingListFactory

pytestmark = pytest.mark.django_db


def _event() -> ConsentEvent:
    outcome = unsubscribe(
        contact=ContactFactory.create(),
        mailing_list=MailingListFactory.create(),
        origin=Origin(source=Source.HOSTED_PAGE),
    )
    return outcome.event


def test_saving_an_event_again_is_refused() -> None:
    event = _event()
    event.source = Source.ADMIN

    with pytest.raises(EventIsAppendOnly):
        event.save()

    assert ConsentEvent.objects.get().source == Source.HOSTED_PAGE


def test_deleting_an_event_is_refused() -> None:
    event = _event()

    with pytest.raises(EventIsAppendOnly):
        event.delete()

    assert ConsentEvent.objects.filter(pk=event.pk).exists()


def test_queryset_update_and_delete_are_refused() -> None:
    _event()

    with pytest.raises(EventIsAppendOnly):
        ConsentEvent.objects.filter(source=Source.HOSTED_PAGE).update(source=Source.ADMIN)
    with pytest.raises(EventIsAppendOnly):
        ConsentEvent.objects.all().delete()

    assert ConsentEvent.objects.get().source == Source.HOSTED_PAGE


def test_events_protect_their_contact_and_list_from_deletion() -> None:
    event = _event()

    with pytest.raises(DatabaseError):
        event.contact.delete()

    assert ConsentEvent.objects.filter(pk=event.pk).exists()


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE consent_consentevent SET source = 'admin'",
        "DELETE FROM consent_consentevent",
    ],
    ids=["update", "delete"],
)
def test_on_postgresql_the_trigger_refuses_raw_sql(on_postgresql: None, statement: str) -> None:
    event = _event()

    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(statement)

    event_after = ConsentEvent.objects.get(pk=event.pk)
    assert event_after.source == Source.HOSTED_PAGE
