from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction

from consent.models import ConsentEvent, Source
from consent.origins import Origin
from consent.services import unsubscribe
from tests.consent.factories import ContactFactory
from tests.lists.factories import MailingListFactory


@pytest.mark.usefixtures("on_postgresql")
def test_the_database_refuses_to_change_or_delete_a_consent_event() -> None:
    unsubscribe(
        contact=ContactFactory(),
        mailing_list=MailingListFactory(),
        origin=Origin(source=Source.HOSTED_PAGE),
    )
    event = ConsentEvent.objects.get()

    for sql in (
        "UPDATE consent_consentevent SET source = 'admin' WHERE id = %s",
        "DELETE FROM consent_consentevent WHERE id = %s",
    ):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql, [event.pk])

    assert ConsentEvent.objects.get().source == Source.HOSTED_PAGE
