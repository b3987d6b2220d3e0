"""The one-click statement on PostgreSQL: prepared once per session, plain SQL if lost."""

from __future__ import annotations

import pytest
from django.db import connection

from consent import statements
from consent.models import ConsentEvent, Source, Suppression
from consent.origins import Origin
from consent.services import unsubscribe_token
from consent.tokens import make_token
from tests.consent.factories import ContactFactory
from tests.lists.factories import MailingListFactory

ORIGIN = Origin(source=Source.ONE_CLICK, ip="192.0.2.0", user_agent="UA", request_id="r-1")


def test_a_statement_lost_by_a_pooler_is_run_as_plain_sql(on_postgresql: None) -> None:
    newsletter = MailingListFactory.create()
    first, second = ContactFactory.create(), ContactFactory.create()

    assert unsubscribe_token(
        token=make_token(contact=first, mailing_list=newsletter), origin=ORIGIN
    )
    session = connection.connection
    name = statements._one_click_statement(connection.vendor).prepared.name
    assert session in statements._PREPARED_ON[name]
    # A pooler in transaction mode runs the next EXECUTE on a session that never prepared it.
    with connection.cursor() as cursor:
        cursor.execute(f"DEALLOCATE {name}")

    assert unsubscribe_token(
        token=make_token(contact=second, mailing_list=newsletter), origin=ORIGIN
    )

    assert session in statements._PLAIN_ON
    assert Suppression.objects.filter(mailing_list=newsletter).count() == 2
    assert ConsentEvent.objects.filter(changed=True, request_id="r-1").count() == 2


def test_the_placeholders_become_numbered_parameters() -> None:
    prepared = statements.Prepared.of("s", "SELECT %s, %s FROM t WHERE a = %s", ["int"] * 3)

    assert prepared.prepare_sql == "PREPARE s (int, int, int) AS SELECT $1, $2 FROM t WHERE a = $3"
    assert prepared.execute_sql == "EXECUTE s (%s, %s, %s)"
    with pytest.raises(RuntimeError):
        statements.Prepared.of("s", "SELECT %s", ["int", "int"])
