"""SQL of the hot paths, built once from the models' `_meta`.

A queryset is compiled again on every request: for a one-click POST that compilation cost
more CPU than the database work. The statements below are written once, at first use, from
the table and column names the models declare, so a renamed field renames them too; every
value still goes as a parameter. Only the paths a mail provider hits in bulk, and the one
page query whose subqueries cost more to compile than to run, use them.
"""

from __future__ import annotations

import logging
import time
import weakref
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import datetime
from functools import cache, lru_cache
from typing import Any

import psycopg
from django.db import connection, transaction
from django.db.models import Field, Model

from consent.models import (
    Action,
    ConsentEvent,
    Contact,
    DownloadLog,
    JourneyOptOutRequest,
    OneClickReceipt,
    Suppression,
)
from lists.models import (
    ConsentLevel,
    JourneyIntegration,
    Mailer,
    MailerAccess,
    MailingList,
    Webhook,
)

logger = logging.getLogger(__name__)

Converter = Callable[[Any, Any, Any], Any]


def durable() -> AbstractContextManager[object]:
    """Around one statement that is atomic on its own: no BEGIN and no COMMIT of its own in
    autocommit, yet refused inside a caller's transaction like every durable service (in the
    test suite's transaction, a savepoint)."""
    return transaction.atomic(durable=True) if connection.in_atomic_block else nullcontext()


def _quote(name: str) -> str:
    return str(connection.ops.quote_name(name))


def _column(model: type[Model], name: str) -> str:
    return _quote(str(model._meta.get_field(name).column))  # type: ignore[union-attr]  # concrete


def _table(model: type[Model]) -> str:
    return _quote(model._meta.db_table)


def _db_type(model: type[Model], name: str) -> str:
    return str(model._meta.get_field(name).db_type(connection))


def _typed(sql: str, types: Sequence[str]) -> str:
    """Each `%s` of `sql` cast to its type: values bound by the server carry no type of
    their own where PostgreSQL cannot infer one (a SELECT list, a CASE)."""
    parts = sql.split("%s")
    if len(parts) != len(types) + 1:
        raise RuntimeError(f"{len(parts) - 1} placeholders for {len(types)} types")
    return parts[0] + "".join(
        f"%s::{kind}{part}" for kind, part in zip(types, parts[1:], strict=True)
    )


# Database sessions (psycopg connections) where a prepared statement went missing or clashed
# with another client's (a pooler in transaction mode hands sessions around): plain SQL there
# from then on.
_PLAIN_ON: weakref.WeakSet[Any] = weakref.WeakSet()
_POOLER_ERRORS = (psycopg.errors.InvalidSqlStatementName, psycopg.errors.DuplicatePreparedStatement)


def _bound(sql: str, params: Sequence[Any], *, fetch: bool = False) -> Any:
    """PostgreSQL: run `sql` with its values bound by the server, prepared by psycopg once
    per session; returns the first row when `fetch`, else None.

    Django's cursors write every value into the SQL text in Python (client-side binding),
    and the server plans each text anew; for the statements mail providers drive in bulk,
    both cost more CPU than running them. This cursor sends the values in the protocol and
    reuses the session's plan (`DATABASE_PREPARED_STATEMENTS` in settings). It works on the
    request's own connection, so the statement runs in the caller's transaction (or
    autocommit), after the same health check, with errors raised as Django's.
    """
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    connection.validate_thread_sharing()
    connection.validate_no_broken_transaction()
    session = connection.connection
    started = time.monotonic()
    with connection.wrap_database_errors, psycopg.Cursor(session) as cursor:
        try:
            cursor.execute(sql, params, prepare=session not in _PLAIN_ON)
        except _POOLER_ERRORS:
            _PLAIN_ON.add(session)
            logger.warning("A prepared statement went missing or clashed; plain SQL from now on")
            if connection.in_atomic_block:
                raise  # the transaction is aborted; the caller's next attempt runs plain
            cursor.execute(sql, params, prepare=False)
        row = cursor.fetchone() if fetch else None
    if connection.queries_logged:  # DEBUG, or a test counting queries: as Django logs its own
        connection.queries_log.append({"sql": sql, "time": f"{time.monotonic() - started:.3f}"})
    return row


def _write(
    sql: str, fields: Sequence[Field[Any, Any]], params: Sequence[Any], *, fetch: bool = False
) -> Any:
    """A hot write: on PostgreSQL bound by the server (`_bound`) with the values as they are;
    elsewhere through Django's cursor, each of the leading values prepared by its field in
    `fields` (any after them go as they are). Returns the first row when `fetch`."""
    if connection.vendor == "postgresql":
        return _bound(sql, params, fetch=fetch)
    prepared = [
        field.get_db_prep_save(value, connection)
        for field, value in zip(fields, params, strict=False)
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, [*prepared, *params[len(fields) :]])
        return cursor.fetchone() if fetch else None


@dataclass(frozen=True)
class Selected:
    """One model's columns in a SELECT, and how to turn them back into an instance."""

    model: type[Model]
    fields: tuple[Field[Any, Any], ...]
    columns: tuple[Any, ...]
    converters: tuple[tuple[Converter, ...], ...]
    sql: str

    @classmethod
    def of(cls, model: type[Model], alias: str) -> Selected:
        fields = tuple(model._meta.concrete_fields)
        columns = tuple(field.get_col(alias) for field in fields)
        converters = []
        for column in columns:
            # The ORM's own conversions (SQLite's text UUIDs and datetimes, booleans as ints).
            converters.append(
                tuple(connection.ops.get_db_converters(column))
                + tuple(column.get_db_converters(connection))
            )
        sql = ", ".join(f"{alias}.{_quote(str(field.column))}" for field in fields)
        return cls(model, fields, columns, tuple(converters), sql)

    def build(self, values: Sequence[Any]) -> Any:
        converted = []
        for column, converters, raw in zip(self.columns, self.converters, values, strict=True):
            value = raw
            for convert in converters:
                value = convert(value, column, connection)
            converted.append(value)
        return self.model.from_db(
            connection.alias, [field.attname for field in self.fields], converted
        )

    def __len__(self) -> int:
        return len(self.fields)


@dataclass(frozen=True)
class ClaimQuery:
    contact: Selected
    mailing_list: Selected
    mailer: Selected
    sql: str


def _claim_hooks() -> str:
    """Whether the team of list `l` has an active webhook endpoint."""
    return (
        f"EXISTS (SELECT 1 FROM {_table(Webhook)} w WHERE w.{_column(Webhook, 'active')} "  # noqa: S608  # names from _meta
        f"AND w.{_column(Webhook, 'team')} = l.{_column(MailingList, 'team')})"
    )


def _claim_rows(*, mailer: bool) -> str:
    """A token's rows: contact `c`, list `l` and the mailer's current access `a` (and the
    mailer `m` with `mailer`). Parameters: list id, mailer id, contact id."""
    access = MailerAccess
    joins = (
        f"FROM {_table(Contact)} c "
        f"INNER JOIN {_table(MailingList)} l ON l.{_column(MailingList, 'id')} = %s "
        f"LEFT JOIN {_table(access)} a ON a.{_column(access, 'mailing_list')} = "
        f"l.{_column(MailingList, 'id')} AND a.{_column(access, 'mailer')} = %s "
    )
    if mailer:
        joins += (
            f"LEFT JOIN {_table(Mailer)} m "
            f"ON m.{_column(Mailer, 'id')} = a.{_column(access, 'mailer')} "
        )
    return f"{joins}WHERE c.{_column(Contact, 'id')} = %s"


@cache
def _claim_query(vendor: str) -> ClaimQuery:
    contact = Selected.of(Contact, "c")
    mailing_list = Selected.of(MailingList, "l")
    mailer = Selected.of(Mailer, "m")
    columns = f"{contact.sql}, {mailing_list.sql}, {mailer.sql}, {_claim_hooks()}"
    sql = f"SELECT {columns} {_claim_rows(mailer=True)}"
    return ClaimQuery(contact, mailing_list, mailer, sql)


def read_claim(
    *, contact_id: int, list_id: int, mailer_id: int | None
) -> tuple[Contact, MailingList, Mailer | None, bool] | None:
    """Contact, list, mailer (None without a current access) and "the team has an active
    webhook endpoint", in one query; None when the contact or the list does not exist."""
    query = _claim_query(connection.vendor)
    with connection.cursor() as cursor:
        cursor.execute(query.sql, [list_id, mailer_id, contact_id])
        row = cursor.fetchone()
    if row is None:
        return None
    first = len(query.contact)
    second = first + len(query.mailing_list)
    third = second + len(query.mailer)
    contact = query.contact.build(row[:first])
    mailing_list = query.mailing_list.build(row[first:second])
    mailer = query.mailer.build(row[second:third]) if row[second] is not None else None
    return contact, mailing_list, mailer, bool(row[third])


@cache
def _suppressed_categories_sql(vendor: str, *, by_person: bool) -> str:
    # The preference center's one per-subscriber query: compiling it through the ORM on
    # every view cost more CPU than PostgreSQL spends running it.
    covering = f"{_column(Suppression, 'contact')} = %s"
    if by_person:
        covering = f"({covering} OR {_column(Suppression, 'profile_key')} = %s)"
    return (
        f"SELECT {_column(Suppression, 'category')} FROM {_table(Suppression)} "  # noqa: S608  # names from _meta
        f"WHERE {_column(Suppression, 'mailing_list')} = %s AND {covering}"
    )


def suppressed_categories(
    *, contact_id: int, list_id: int, profile_key: str | None
) -> set[int | None]:
    """The categories of the list a suppression covers for this contact (None: the whole
    list), by its own row or, with a profile key, its person's (channel level)."""
    person = [profile_key] if profile_key else []
    with connection.cursor() as cursor:
        cursor.execute(
            _suppressed_categories_sql(connection.vendor, by_person=bool(person)),
            [list_id, contact_id, *person],
        )
        return {category_id for (category_id,) in cursor.fetchall()}


@dataclass(frozen=True)
class ReceiptQuery:
    mailer: Selected
    log: Selected
    sql: str


# Events per receipt query: a page is 25, an export runs in slices of this many.
RECEIPT_EVENTS_PER_QUERY = 500


@lru_cache(maxsize=64)  # one per vendor and number of events in the slice
def _receipt_query(vendor: str, events: int) -> ReceiptQuery:
    mailer = Selected.of(Mailer, "m")
    log = Selected.of(DownloadLog, "d")
    event, access, dl = ConsentEvent, MailerAccess, DownloadLog

    def e(name: str) -> str:
        return f"e.{_column(event, name)}"

    def first(name: str) -> str:
        return f"f.{_column(dl, name)}"

    # The mailer's first download that covered the event: from the event's time on (the
    # watermark is read when the request starts, so it never precedes the request), whole
    # or changes since a time no later than the event.
    first_log = (
        f"SELECT f.{_column(dl, 'id')} FROM {_table(dl)} f "  # noqa: S608  # names from _meta
        f"WHERE {first('mailing_list')} = {e('mailing_list')} "
        f"AND {first('mailer')} = a.{_column(access, 'mailer')} "
        f"AND {first('requested_at')} >= {e('recorded_at')} "
        f"AND {first('covered_until')} >= {e('recorded_at')} "
        f"AND ({first('since')} IS NULL OR {first('since')} <= {e('recorded_at')}) "
        f"ORDER BY {first('requested_at')}, f.{_column(dl, 'id')} LIMIT 1"
    )
    sql = (
        f"SELECT {e('id')}, {mailer.sql}, {log.sql} "  # noqa: S608  # names from _meta
        f"FROM {_table(event)} e "
        f"INNER JOIN {_table(access)} a ON a.{_column(access, 'mailing_list')} = "
        f"{e('mailing_list')} AND a.{_column(access, 'can_download')} = %s "
        f"INNER JOIN {_table(Mailer)} m ON m.{_column(Mailer, 'id')} = "
        f"a.{_column(access, 'mailer')} "
        f"LEFT JOIN {_table(dl)} d ON d.{_column(dl, 'id')} = ({first_log}) "
        f"WHERE {e('action')} = %s AND {e('id')} IN ({', '.join(['%s'] * events)}) "
        f"ORDER BY m.{_column(Mailer, 'name')}, m.{_column(Mailer, 'id')}"
    )
    return ReceiptQuery(mailer, log, sql)


def first_receipts(*, event_ids: Sequence[int]) -> list[tuple[int, Mailer, DownloadLog | None]]:
    """For each opt-out among `event_ids` and each mailer with download access to its list
    (by mailer name): the mailer's first download that covered it, or None. One query per
    RECEIPT_EVENTS_PER_QUERY events."""
    mailers: dict[int, Mailer] = {}
    found = []
    for start in range(0, len(event_ids), RECEIPT_EVENTS_PER_QUERY):
        ids = event_ids[start : start + RECEIPT_EVENTS_PER_QUERY]
        query = _receipt_query(connection.vendor, len(ids))
        with connection.cursor() as cursor:
            cursor.execute(query.sql, [True, Action.OPT_OUT, *ids])
            rows = cursor.fetchall()
        first = 1 + len(query.mailer)
        for row in rows:
            mailer = query.mailer.build(row[1:first])
            mailer = mailers.setdefault(mailer.pk, mailer)
            log = query.log.build(row[first:]) if row[first] is not None else None
            found.append((row[0], mailer, log))
    return found


def _insert_values(instance: Model, fields: Sequence[Field[Any, Any]]) -> list[Any]:
    # As Model.save does: pre_save fills auto_now_add, get_db_prep_save adapts the value.
    return [field.get_db_prep_save(field.pre_save(instance, True), connection) for field in fields]


@dataclass(frozen=True)
class OptOutStatement:
    suppression_fields: tuple[Field[Any, Any], ...]
    event_fields: tuple[Field[Any, Any], ...]
    sql: str


@cache
def _opt_out_statement(vendor: str) -> OptOutStatement:
    suppression_fields = tuple(
        field for field in Suppression._meta.concrete_fields if not field.primary_key
    )
    event_fields = tuple(
        field
        for field in ConsentEvent._meta.concrete_fields
        if not field.primary_key and field.name != "changed"
    )
    suppression_columns = ", ".join(_quote(str(field.column)) for field in suppression_fields)
    event_columns = ", ".join(_quote(str(field.column)) for field in event_fields)
    sql = (
        f"WITH new_suppression AS (INSERT INTO {_table(Suppression)} ({suppression_columns}) "  # noqa: S608
        f"VALUES ({', '.join(['%s'] * len(suppression_fields))}) "
        "ON CONFLICT DO NOTHING RETURNING 1) "
        f"INSERT INTO {_table(ConsentEvent)} ({event_columns}, {_column(ConsentEvent, 'changed')}) "
        f"VALUES ({', '.join(['%s'] * len(event_fields))}, "
        "EXISTS (SELECT 1 FROM new_suppression)) "
        f"RETURNING {_column(ConsentEvent, 'id')}, {_column(ConsentEvent, 'changed')}"
    )
    return OptOutStatement(suppression_fields, event_fields, sql)


def insert_opt_out(*, suppression: Suppression, event: ConsentEvent) -> None:
    """PostgreSQL only: the suppression (unless one exists) and its event in ONE statement.

    A data-modifying CTE: `INSERT … ON CONFLICT DO NOTHING` of the suppression, then the
    event, whose `changed` says whether that insert wrote a row. One statement is atomic on
    its own, so in autocommit it needs no BEGIN and no COMMIT. Two requests that race meet
    the partial unique constraints: the loser waits for the winner's commit and inserts no
    suppression, so there is exactly one, and both events are written. Sets the event's pk
    and `changed`.
    """
    statement = _opt_out_statement(connection.vendor)
    params = _insert_values(suppression, statement.suppression_fields) + _insert_values(
        event, statement.event_fields
    )
    with connection.cursor() as cursor:
        cursor.execute(statement.sql, params)
        event.pk, event.changed = cursor.fetchone()
    event._state.adding = False
    event._state.db = connection.alias


@dataclass(frozen=True)
class JourneyStatement:
    fields: tuple[Field[Any, Any], ...]
    sql: str


@cache
def _journey_statement(vendor: str) -> JourneyStatement:
    fields = tuple(
        field
        for field in JourneyOptOutRequest._meta.concrete_fields
        if not field.primary_key and field.name != "integration"
    )
    integration = _column(JourneyOptOutRequest, "integration")
    digest = _column(JourneyOptOutRequest, "digest")
    columns = ", ".join(_quote(str(field.column)) for field in fields)
    values = ", ".join(["%s"] * len(fields))
    sql = (
        f"INSERT INTO {_table(JourneyOptOutRequest)} ({integration}, {columns}) "  # noqa: S608
        f"SELECT i.{_column(JourneyIntegration, 'id')}, {values} "
        f"FROM {_table(JourneyIntegration)} i "
        f"WHERE i.{_column(JourneyIntegration, 'endpoint_key')} = %s "
        f"AND i.{_column(JourneyIntegration, 'active')} "
        # The first receipt's time and traces stay; the no-op update makes RETURNING answer.
        f"ON CONFLICT ({integration}, {digest}) DO UPDATE SET {digest} = EXCLUDED.{digest} "
        f"RETURNING {_column(JourneyOptOutRequest, 'id')}"
    )
    if vendor == "postgresql":
        types = [str(field.db_type(connection)) for field in fields]
        sql = _typed(sql, [*types, _db_type(JourneyIntegration, "endpoint_key")])
    return JourneyStatement(fields, sql)


def upsert_journey_request(*, values: dict[str, Any], endpoint_key: str) -> int | None:
    """Store a row of `values` (every field but the integration, by name) for the active
    integration of `endpoint_key`, in one statement.

    Returns the row's id, new or the one stored for the same pair before; None when no
    active integration has that key (nothing is written then). On PostgreSQL the values are
    bound by the server (`_bound`), as they are.
    """
    statement = _journey_statement(connection.vendor)
    params = [values[field.name] for field in statement.fields]
    found = _write(statement.sql, statement.fields, [*params, endpoint_key], fetch=True)
    return None if found is None else int(found[0])


@dataclass(frozen=True)
class OneClickStatement:
    sql: str
    event_fields: dict[str, Field[Any, Any]]


# How the one-statement opt-out fills each column: SQL over the `claim` row, or a parameter
# (%s, in the order of `_ONE_CLICK_EVENT_PARAMS`). Every concrete field must be here, so a
# field added to the models fails loudly at first use instead of being left out.
_ONE_CLICK_SUPPRESSION = {
    "contact": "CASE WHEN claim.channel THEN NULL ELSE claim.contact_id END",
    "profile_key": "CASE WHEN claim.channel THEN claim.profile_key ELSE NULL END",
    "mailing_list": "claim.list_id",
    "category": "NULL",
    "created_at": "%s",
}
_ONE_CLICK_EVENT = {
    "action": "%s",
    "scope": "%s",
    "level": "CASE WHEN claim.channel THEN %s ELSE %s END",
    "source": "%s",
    "changed": "EXISTS (SELECT 1 FROM new_suppression)",
    "contact": "claim.contact_id",
    "profile_key": "claim.profile_key",
    "mailing_list": "claim.list_id",
    "category": "NULL",
    "mailer": "claim.mailer_id",
    "reason": "%s",
    "occurred_at": "%s",
    "recorded_at": "%s",
    "ip": "%s",
    "user_agent": "%s",
    "request_id": "%s",
    "detail": "%s",
}
_ONE_CLICK_EVENT_PARAMS = (
    "action",
    "scope",
    "level",  # twice: channel, identity
    "source",
    "reason",
    "occurred_at",
    "recorded_at",
    "ip",
    "user_agent",
    "request_id",
    "detail",
)


def _covered(model: type[Model], columns: dict[str, str]) -> None:
    names = {field.name for field in model._meta.concrete_fields if not field.primary_key}
    if names != set(columns):
        raise RuntimeError(f"{model.__name__} fields changed: update consent.statements.")


@cache
def _one_click_statement(vendor: str) -> OneClickStatement:
    _covered(Suppression, _ONE_CLICK_SUPPRESSION)
    _covered(ConsentEvent, _ONE_CLICK_EVENT)
    access = MailerAccess

    def insert(model: type[Model], values: dict[str, str]) -> str:
        columns = ", ".join(_column(model, name) for name in values)
        return f"INSERT INTO {_table(model)} ({columns}) SELECT {', '.join(values.values())} "

    sql = (
        "WITH claim AS ("  # noqa: S608  # names from _meta, values as parameters
        f"SELECT c.{_column(Contact, 'id')} AS contact_id, "
        f"c.{_column(Contact, 'profile_key')} AS profile_key, "
        f"l.{_column(MailingList, 'id')} AS list_id, "
        f"a.{_column(access, 'mailer')} AS mailer_id, "
        # consent.services.core._level: channel level needs a profile key.
        f"(l.{_column(MailingList, 'consent_level')} = %s "
        f"AND c.{_column(Contact, 'profile_key')} <> '') AS channel, "
        f"{_claim_hooks()} AS hooks {_claim_rows(mailer=False)}), "
        "new_suppression AS ("
        f"{insert(Suppression, _ONE_CLICK_SUPPRESSION)}FROM claim WHERE NOT claim.hooks "
        "ON CONFLICT DO NOTHING RETURNING 1), "
        "new_event AS ("
        f"{insert(ConsentEvent, _ONE_CLICK_EVENT)}FROM claim WHERE NOT claim.hooks "
        f"RETURNING {_column(ConsentEvent, 'id')} AS id, "
        f"{_column(ConsentEvent, 'changed')} AS changed) "
        "SELECT claim.hooks, new_event.id, new_event.changed "
        "FROM claim LEFT JOIN new_event ON TRUE"
    )
    fields = {name: ConsentEvent._meta.get_field(name) for name in _ONE_CLICK_EVENT_PARAMS}
    types = [
        _db_type(MailingList, "consent_level"),
        _db_type(MailingList, "id"),
        _db_type(access, "mailer"),
        _db_type(Contact, "id"),
        _db_type(Suppression, "created_at"),
    ]
    for name in _ONE_CLICK_EVENT_PARAMS:
        types += [_db_type(ConsentEvent, name)] * (2 if name == "level" else 1)
    return OneClickStatement(_typed(sql, types), fields)  # type: ignore[arg-type]  # concrete


@dataclass(frozen=True)
class OneClickResult:
    has_webhooks: bool
    event_id: int | None
    changed: bool


def one_click_opt_out(
    *,
    contact_id: int,
    list_id: int,
    mailer_id: int | None,
    event: dict[str, Any],
    now: datetime,
) -> OneClickResult | None:
    """PostgreSQL only: a token's whole-list opt-out in ONE statement, token read included.

    Reads the contact, the list, the mailer's access and whether the team has an active
    webhook endpoint; unless it has one, inserts the suppression (`ON CONFLICT DO NOTHING`)
    and the event, whose `changed` says whether the suppression was new. Atomic on its
    own, so autocommit needs no BEGIN and no COMMIT; two requests that race meet the
    partial unique constraints, and the loser inserts no suppression. With an endpoint,
    nothing is written (`event_id` None): the outbox rows must commit with the event, which
    `record_opt_out` does. None when the contact or the list does not exist.

    `event` holds the event's own values: action, scope, source, reason, occurred_at, ip,
    user_agent, request_id, detail.
    """
    statement = _one_click_statement(connection.vendor)
    values = {**event, "recorded_at": now}
    params: list[Any] = [ConsentLevel.CHANNEL.value, list_id, mailer_id, contact_id, now]
    for name, field in statement.event_fields.items():
        if name == "level":
            params += [ConsentLevel.CHANNEL.value, ConsentLevel.IDENTITY.value]
        else:
            params.append(field.get_db_prep_save(values[name], connection))
    row = _bound(statement.sql, params, fetch=True)
    if row is None:
        return None
    return OneClickResult(has_webhooks=bool(row[0]), event_id=row[1], changed=bool(row[2]))


# ---- One-click receipts (with a broker: the request stores, a worker applies) -------------

_RECEIPT_FIELDS = (
    "contact",
    "mailing_list",
    "mailer",
    "received_at",
    "ip",
    "user_agent",
    "request_id",
)


@cache
def _receipt_statement(vendor: str) -> tuple[str, tuple[Field[Any, Any], ...]]:
    fields = tuple(OneClickReceipt._meta.get_field(name) for name in _RECEIPT_FIELDS)
    _covered(OneClickReceipt, dict.fromkeys(_RECEIPT_FIELDS, "%s"))
    columns = ", ".join(_quote(str(field.column)) for field in fields)  # type: ignore[union-attr]
    sql = (
        f"INSERT INTO {_table(OneClickReceipt)} ({columns}) "  # noqa: S608  # names from _meta
        f"VALUES ({', '.join(['%s'] * len(fields))})"
    )
    if vendor == "postgresql":
        # One prepared statement whatever the size of the ids (psycopg types each int).
        sql = _typed(sql, [_db_type(OneClickReceipt, name) for name in _RECEIPT_FIELDS])
    return sql, fields  # type: ignore[return-value]  # concrete fields


def insert_one_click_receipt(
    *,
    contact_id: int,
    list_id: int,
    mailer_id: int | None,
    received_at: datetime,
    ip: str | None,
    user_agent: str,
    request_id: str,
) -> None:
    """The one-click request's only write: one narrow row, no constraint to check (`_write`)."""
    sql, fields = _receipt_statement(connection.vendor)
    _write(sql, fields, [contact_id, list_id, mailer_id, received_at, ip, user_agent, request_id])
