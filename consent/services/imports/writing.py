"""Pass 2: contacts, suppressions and events from the staging table, in set-based SQL.

Runs inside the import's one transaction. Every statement handles all rows at once, and
nothing row-sized comes back to Python: the database dedups the file, inserts what is new
(`ON CONFLICT DO NOTHING`, so a second import of the same file adds nothing) and counts.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import connection, models
from django.utils import timezone

from consent.models import Action, ConsentEvent, Contact, Scope, Source, Suppression
from consent.services.imports.staging import ROWS
from lists.models import ConsentLevel, MailingList

UNIQUE = "optout_import_unique"
MATCHED = "optout_import_matched"
NEW = "optout_import_new"

# The staged time: a time parsed in Python, or epoch digits converted here (13 digits are
# milliseconds), so the common SendGrid/Mailgun row costs Python no datetime at all.
OCCURRED_SQL = {
    "postgresql": (
        "COALESCE(occurred_at, CASE WHEN length(epoch) = 13 "
        "THEN to_timestamp(epoch::bigint / 1000.0) ELSE to_timestamp(epoch::bigint) END)"
    ),
    # Django's SQLite spelling of a time: naive UTC text.
    "sqlite": (
        "COALESCE(occurred_at, CASE WHEN length(epoch) = 13 "
        "THEN strftime('%Y-%m-%d %H:%M:%f', CAST(epoch AS INTEGER) / 1000.0, 'unixepoch') "
        "ELSE datetime(CAST(epoch AS INTEGER), 'unixepoch') END)"
    ),
}

Given = dict[str, tuple[str, list[object]]]


class ImproperlyConfiguredImport(RuntimeError):
    def __init__(self, column: str) -> None:
        super().__init__(f"The import does not know what to write in column {column!r}.")


def _columns(model: type[models.Model], given: Given) -> tuple[str, str, list[Any]]:
    """Column list, SELECT list and parameters for an INSERT … SELECT into `model`.

    `given` maps columns to an SQL expression and the raw values of its placeholders, which
    go through the field's own preparation (JSON, datetimes) as the ORM would send them.
    Every other column gets its model default, so a field another app adds later with a
    default needs no change here.
    """
    quote = connection.ops.quote_name
    names: list[str] = []
    values: list[str] = []
    params: list[Any] = []
    for model_field in model._meta.concrete_fields:
        if model_field.primary_key:
            continue
        column = str(model_field.column)
        names.append(quote(column))
        if column in given:
            expression, raw = given[column]
            values.append(expression)
            params.extend(model_field.get_db_prep_save(value, connection) for value in raw)
            continue
        default = model_field.get_default()  # "" for text fields without a default
        if default is None and not model_field.null:
            raise ImproperlyConfiguredImport(column)
        values.append("%s")
        params.append(model_field.get_db_prep_save(default, connection))
    return ", ".join(names), ", ".join(values), params


def write(*, mailing_list: MailingList, detail: dict[str, object]) -> tuple[int, int]:
    """Contacts, suppressions and events from the staged rows. Returns (unique, new).

    The caller holds the transaction.
    """
    postgresql = connection.vendor == "postgresql"
    now = timezone.now()
    contact_table = Contact._meta.db_table
    with connection.cursor() as cursor:
        if postgresql:
            # Sorts and hash joins of a million rows in memory, for this transaction only.
            cursor.execute(
                "SELECT set_config('work_mem', %s, true)",
                [settings.OPTOUT_IMPORT_SESSION_MEMORY],
            )
            # One row per address: the earliest time it was unsubscribed wins.
            cursor.execute(
                f"CREATE TEMP TABLE {UNIQUE} ON COMMIT DROP AS "  # noqa: S608  # constant names
                f"SELECT md5, max(address) AS address, max(sha256) AS sha256, "
                f"min({OCCURRED_SQL['postgresql']}) AS occurred_at FROM {ROWS} GROUP BY md5"
            )
            # Temporary tables have no statistics; without them the joins below plan badly.
            cursor.execute(f"ANALYZE {UNIQUE}")
        else:
            for table in (UNIQUE, NEW):
                cursor.execute(f"DROP TABLE IF EXISTS {table}")
            cursor.execute(
                f"CREATE TEMP TABLE {UNIQUE} (md5 TEXT PRIMARY KEY, address TEXT, "
                "sha256 TEXT, occurred_at TEXT)"
            )
            cursor.execute(
                f"INSERT INTO {UNIQUE} SELECT md5, max(address), max(sha256), "  # noqa: S608
                f"min({OCCURRED_SQL['sqlite']}) FROM {ROWS} GROUP BY md5"
            )
        cursor.execute(f"SELECT count(*) FROM {UNIQUE}")  # noqa: S608
        unique = int(cursor.fetchone()[0])
        # Contacts known so far by an MD5 alone learn their address.
        cursor.execute(
            f"UPDATE {contact_table} SET address = u.address, sha256 = u.sha256 "  # noqa: S608
            f"FROM {UNIQUE} u WHERE {contact_table}.md5 = u.md5 "
            f"AND {contact_table}.sha256 IS NULL AND u.sha256 IS NOT NULL"
        )
        names, values, params = _columns(
            Contact,
            {
                "address": ("u.address", []),
                "md5": ("u.md5", []),
                "sha256": ("u.sha256", []),
                "created_at": ("%s", [now]),
            },
        )
        cursor.execute(
            f"INSERT INTO {contact_table} ({names}) SELECT {values} FROM {UNIQUE} u "  # noqa: S608
            # In index order: the md5 index then grows at its end instead of everywhere.
            "WHERE true ORDER BY u.md5 ON CONFLICT DO NOTHING",
            params,
        )
        if postgresql:
            new = _suppress_postgresql(cursor, mailing_list=mailing_list, detail=detail, now=now)
        else:
            new = _suppress_sqlite(cursor, mailing_list=mailing_list, detail=detail, now=now)
        for table in (UNIQUE, MATCHED, NEW):
            cursor.execute(f"DROP TABLE IF EXISTS {table}")
    return unique, new


def _event_columns(
    *, mailing_list: MailingList, detail: dict[str, object], now: object, source: str
) -> tuple[str, str, list[Any]]:
    """The event columns, reading contact, profile key and time from the alias `source`."""
    return _columns(
        ConsentEvent,
        {
            "action": ("%s", [Action.OPT_OUT.value]),
            "scope": ("%s", [Scope.LIST.value]),
            "level": ("%s", [ConsentLevel.IDENTITY.value]),
            "source": ("%s", [Source.IMPORT.value]),
            "changed": ("%s", [True]),
            "contact_id": (f"{source}.contact_id", []),
            "profile_key": (f"{source}.profile_key", []),
            "mailing_list_id": ("%s", [mailing_list.pk]),
            "occurred_at": (f"COALESCE({source}.occurred_at, %s)", [now]),
            "recorded_at": ("%s", [now]),
            "detail": ("%s", [detail]),
        },
    )


def _suppression_columns(*, mailing_list: MailingList, now: object) -> tuple[str, str, list[Any]]:
    return _columns(
        Suppression,
        {
            "contact_id": ("m.contact_id", []),
            "profile_key": ("NULL", []),
            "mailing_list_id": ("%s", [mailing_list.pk]),
            "category_id": ("NULL", []),
            "created_at": ("%s", [now]),
        },
    )


def _suppress_postgresql(
    cursor: Any, *, mailing_list: MailingList, detail: dict[str, object], now: object
) -> int:
    contact_table = Contact._meta.db_table
    # Each address with its contact, found once by one hash join.
    cursor.execute(
        f"CREATE TEMP TABLE {MATCHED} ON COMMIT DROP AS "  # noqa: S608
        f"SELECT c.id AS contact_id, c.profile_key, u.occurred_at "
        f"FROM {UNIQUE} u JOIN {contact_table} c ON c.md5 = u.md5"
    )
    cursor.execute(f"ANALYZE {MATCHED}")
    names, values, params = _suppression_columns(mailing_list=mailing_list, now=now)
    event_names, event_values, event_params = _event_columns(
        mailing_list=mailing_list, detail=detail, now=now, source="m"
    )
    # RETURNING names exactly the rows this import added, even against a concurrent opt-out
    # of the same address: its row wins, and ours gets no event. The conflict target is the
    # one unique index a contact's whole-list row can hit, so no other is probed per row.
    cursor.execute(
        f"WITH added AS (INSERT INTO {Suppression._meta.db_table} ({names}) "  # noqa: S608
        f"SELECT {values} FROM {MATCHED} m ORDER BY m.contact_id "
        "ON CONFLICT (contact_id, mailing_list_id) "
        "WHERE category_id IS NULL AND contact_id IS NOT NULL DO NOTHING "
        "RETURNING contact_id) "
        f"INSERT INTO {ConsentEvent._meta.db_table} ({event_names}) "
        f"SELECT {event_values} FROM added a JOIN {MATCHED} m ON m.contact_id = a.contact_id",
        params + event_params,
    )
    return int(cursor.rowcount)


def _suppress_sqlite(
    cursor: Any, *, mailing_list: MailingList, detail: dict[str, object], now: object
) -> int:
    contact_table = Contact._meta.db_table
    suppression_table = Suppression._meta.db_table
    cursor.execute(f"CREATE TEMP TABLE {NEW} (contact_id INTEGER PRIMARY KEY)")
    # The IMMEDIATE transaction holds the write lock, so nothing can slip between this check
    # and the insert.
    cursor.execute(
        f"INSERT INTO {NEW} SELECT c.id FROM {UNIQUE} u "  # noqa: S608
        f"JOIN {contact_table} c ON c.md5 = u.md5 WHERE NOT EXISTS ("
        f"SELECT 1 FROM {suppression_table} s WHERE s.contact_id = c.id "
        "AND s.mailing_list_id = %s AND s.category_id IS NULL)",
        [mailing_list.pk],
    )
    names, values, params = _suppression_columns(mailing_list=mailing_list, now=now)
    cursor.execute(
        f"INSERT INTO {suppression_table} ({names}) SELECT {values} FROM {NEW} m "  # noqa: S608
        "WHERE true ON CONFLICT DO NOTHING",
        params,
    )
    cursor.execute(f"SELECT count(*) FROM {NEW}")  # noqa: S608
    new = int(cursor.fetchone()[0])
    event_names, event_values, event_params = _event_columns(
        mailing_list=mailing_list, detail=detail, now=now, source="m"
    )
    cursor.execute(
        f"INSERT INTO {ConsentEvent._meta.db_table} ({event_names}) "  # noqa: S608
        f"SELECT {event_values} FROM (SELECT n.contact_id, c.profile_key, u.occurred_at "
        f"FROM {NEW} n JOIN {contact_table} c ON c.id = n.contact_id "
        f"JOIN {UNIQUE} u ON u.md5 = c.md5) m",
        event_params,
    )
    return new
