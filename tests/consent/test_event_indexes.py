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
        if info["index"] and not info["primary_key"]
    ]


@pytest.mark.parametrize(
    ("table", "column"),
    [
        ("consent_consentevent", "contact_id"),
        ("consent_consentevent", "mailing_list_id"),
        ("consent_suppression", "mailing_list_id"),
    ],
)
def test_no_single_column_index_where_a_composite_starts_with_the_column(
    table: str, column: str
) -> None:
    indexes = _indexed_columns(table)

    assert [column] not in indexes
    assert any(len(columns) > 1 and columns[0] == column for columns in indexes)
