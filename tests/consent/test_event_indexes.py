"""Every index costs on each opt-out: none that a composite index already covers."""

from __future__ import annotations

import pytest
from django.db import connection

pytestmark = pytest.mark.django_db


def _indexed_columns(table: str) -> list[list[str]]:
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, table)
    return [
        list(info["columns"])
        for info in constraints.values()
        # A unique constraint is an index too (PostgreSQL reports it as a constraint only).
        if (info["index"] or info["unique"]) and not info["primary_key"]
    ]


@pytest.mark.parametrize(
    ("table", "column"),
    [
        ("consent_consentevent", "contact_id"),
        ("consent_consentevent", "mailing_list_id"),
        ("consent_suppression", "mailing_list_id"),
        ("consent_journeyoptoutrequest", "integration_id"),
    ],
)
def test_no_single_column_index_where_a_composite_starts_with_the_column(
    table: str, column: str
) -> None:
    indexes = _indexed_columns(table)

    assert [column] not in indexes
    assert any(len(columns) > 1 and columns[0] == column for columns in indexes)


@pytest.mark.parametrize(
    ("table", "full_index", "partial_index"),
    [
        ("consent_consentevent", "consent_consentevent_category_id_e5c57e71", "event_category"),
        ("consent_consentevent", "consent_consentevent_mailer_id_738a281a", "event_mailer"),
        (
            "consent_suppression",
            "consent_suppression_category_id_529f53f9",
            "suppression_category",
        ),
        (
            "consent_journeyoptoutrequest",
            "consent_journeyoptoutrequest_contact_id_bf9ddab9",
            "journeyrequest_contact",
        ),
    ],
)
def test_mostly_null_foreign_keys_have_only_a_partial_index(
    table: str, full_index: str, partial_index: str
) -> None:
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, table)

    assert full_index not in constraints
    assert constraints[partial_index]["index"]
