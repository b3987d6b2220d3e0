"""Statements bound by the server on PostgreSQL: prepared once per session, plain SQL if lost."""

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
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM pg_prepared_statements")
        names = [row[0] for row in cursor.fetchall()]
        assert names  # prepared by psycopg, for the session
        # A pooler in transaction mode runs the next one on a session that never prepared it
        # (by name: psycopg would notice DEALLOCATE ALL and forget its statements).
        for name in names:
            cursor.execute(f"DEALLOCATE {name}")

    assert unsubscribe_token(
        token=make_token(contact=second, mailing_list=newsletter), origin=ORIGIN
    )

    assert session in statements._PLAIN_ON
    assert Suppression.objects.filter(mailing_list=newsletter).count() == 2
    assert ConsentEvent.objects.filter(changed=True, request_id="r-1").count() == 2


def test_each_placeholder_is_cast_to_its_type() -> None:
    typed = statements._typed("SELECT %s, %s FROM t WHERE a = %s", ["bigint", "inet", "text"])

    assert typed == "SELECT %s::bigint, %s::inet FROM t WHERE a = %s::text"
    with pytest.raises(RuntimeError):
        statements._typed("SELECT %s", ["int", "int"])
