"""The large data set, seeded in SQL: `python -m bench.bulk OUT_DIR ROWS EVIDENCE_EVENTS`.

ROWS contacts on their own list, each suppressed and each with one opt-out event (the first
contact gets EVIDENCE_EVENTS of them instead, for the evidence page), all computed by
PostgreSQL (`generate_series`, `md5()`, `sha256()`): a million rows through the ORM would
take longer than the whole bench. Also the callers the scenarios need: a mailer with an API
key allowed from 127.0.0.1, a journey integration, and a superuser's session cookie.
Writes nothing to stdout but one JSON summary; the API key is in it, for the bench only.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup()

from django.conf import settings  # noqa: E402  # after django.setup()
from django.contrib.auth import get_user_model  # noqa: E402
from django.contrib.auth.models import Group  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.db.backends.utils import CursorWrapper  # noqa: E402
from django.test import Client  # noqa: E402

from consent.models import Action, Scope, Source  # noqa: E402
from lists.models import (  # noqa: E402
    AllowedNetwork,
    ConsentLevel,
    JourneyIntegration,
    Mailer,
    MailerAccess,
    MailerApiKey,
    MailingList,
)

BULK_SLUG = "bench-million"
IMPORT_SLUG = "bench-import"
ADDRESS_PREFIX = "bench-m-"
# Spread over the report page's default period (its last 30 days).
EVENT_SPREAD_SECONDS = 29 * 24 * 3600
BULK_TABLES = ["consent_contact", "consent_suppression", "consent_consentevent"]
SOURCES = [Source.ONE_CLICK, Source.HOSTED_PAGE, Source.S2S, Source.IMPORT, Source.MAILTO]


def bulk_address_sql(number_sql: str) -> str:
    """The SQL spelling of the address of bulk contact `number_sql` (same as `bulk_address`)."""
    return f"'{ADDRESS_PREFIX}' || lpad(({number_sql})::text, 7, '0') || '@example.com'"


def bulk_address(number: int) -> str:
    return f"{ADDRESS_PREFIX}{number:07d}@example.com"


@contextmanager
def _indexes_rebuilt_after(cursor: CursorWrapper, tables: list[str]) -> Iterator[None]:
    """Drop the tables' secondary indexes, unique and foreign keys; recreate them after.

    A million rows inserted one index entry and one deferred foreign-key check at a time
    take minutes; building each index in one sort and validating each key in one join takes
    seconds. Recreated from the catalog's own definitions, under the same names, in the
    same transaction: the schema Django migrated is what remains.
    """
    cursor.execute(
        """
        SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid)
        FROM pg_constraint
        WHERE conrelid = ANY(%s::regclass[]) AND contype IN ('u', 'f')
        ORDER BY contype DESC  -- unique keys before the foreign keys that may need them
        """,
        [tables],
    )
    constraints = cursor.fetchall()
    cursor.execute(
        """
        SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
        FROM pg_index AS i
        WHERE i.indrelid = ANY(%s::regclass[]) AND NOT i.indisprimary
          AND NOT EXISTS (SELECT 1 FROM pg_constraint AS c WHERE c.conindid = i.indexrelid)
        """,
        [tables],
    )
    indexes = cursor.fetchall()
    for table, name, _definition in reversed(constraints):
        cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')  # catalog names
    for name, _definition in indexes:
        cursor.execute(f"DROP INDEX {name}")
    yield
    for _name, definition in indexes:
        cursor.execute(definition)
    for table, name, definition in constraints:
        cursor.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')


def _seed_rows(list_id: int, rows: int, evidence_events: int) -> int:
    """Contacts, suppressions and events; returns the id of the evidence contact."""
    address = bulk_address_sql("g")
    sources = "ARRAY[" + ", ".join(f"'{source.value}'" for source in SOURCES) + "]"
    with connection.cursor() as cursor, _indexes_rebuilt_after(cursor, BULK_TABLES):
        cursor.execute("SET LOCAL synchronous_commit = off")
        cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
        cursor.execute(
            f"""
            INSERT INTO consent_contact (address, md5, sha256, profile_key, created_at)
            SELECT a, md5(a), encode(sha256(convert_to(a, 'UTF8')), 'hex'), '', now()
            FROM (SELECT {address} AS a FROM generate_series(0, %s - 1) AS g) AS numbered
            ORDER BY a
            """,
            [rows],
        )
        cursor.execute(
            """
            INSERT INTO consent_suppression
                (profile_key, created_at, category_id, contact_id, mailing_list_id)
            SELECT NULL, now() - (id %% %s) * interval '1 second', NULL, id, %s
            FROM consent_contact WHERE address LIKE %s ORDER BY id
            """,
            [EVENT_SPREAD_SECONDS, list_id, ADDRESS_PREFIX + "%"],
        )
        cursor.execute(
            "SELECT min(id) FROM consent_contact WHERE address LIKE %s", [ADDRESS_PREFIX + "%"]
        )
        first = int(cursor.fetchone()[0])
        # Event n belongs to contact n, except the first EVIDENCE_EVENTS events, which all
        # belong to the first contact: the list has ROWS events, that contact a long history.
        cursor.execute(
            f"""
            INSERT INTO consent_consentevent
                (action, scope, level, source, changed, profile_key, reason, occurred_at,
                 recorded_at, ip, user_agent, request_id, detail, category_id, mailer_id,
                 mailing_list_id, contact_id)
            SELECT CASE WHEN g < %s AND g %% 2 = 1 THEN %s ELSE %s END, %s, %s,
                   ({sources})[1 + g %% {len(SOURCES)}], true, '', '',
                   now() - (g %% %s) * interval '1 second', now(), '192.0.2.0', 'bench', '',
                   '{{}}'::jsonb, NULL, NULL, %s,
                   CASE WHEN g < %s THEN %s ELSE %s + g END
            FROM generate_series(0, %s - 1) AS g
            """,
            [
                evidence_events,
                Action.OPT_IN.value,
                Action.OPT_OUT.value,
                Scope.LIST.value,
                ConsentLevel.IDENTITY.value,
                EVENT_SPREAD_SECONDS,
                list_id,
                evidence_events,
                first,
                first,
                rows,
            ],
        )
    return first


def seed_bulk(out_dir: Path, rows: int, evidence_events: int) -> dict[str, object]:
    team, _ = Group.objects.get_or_create(name="bench")
    bulk_list, created = MailingList.objects.get_or_create(
        slug=BULK_SLUG, defaults={"name": "Bench: a million", "team": team}
    )
    import_list, _ = MailingList.objects.get_or_create(
        slug=IMPORT_SLUG, defaults={"name": "Bench: import", "team": team}
    )
    if created:
        with transaction.atomic():
            evidence_contact = _seed_rows(bulk_list.pk, rows, evidence_events)
        with connection.cursor() as cursor:
            # Fresh tables: without statistics the planner guesses, and so would the bench.
            for table in ("consent_contact", "consent_suppression", "consent_consentevent"):
                cursor.execute(f"ANALYZE {table}")  # constant names
    else:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT min(id) FROM consent_contact WHERE address LIKE %s",
                [ADDRESS_PREFIX + "%"],
            )
            evidence_contact = int(cursor.fetchone()[0])

    mailer, _ = Mailer.objects.get_or_create(name="bench-mailer", defaults={"team": team})
    MailerAccess.objects.get_or_create(mailer=mailer, mailing_list=bulk_list)
    AllowedNetwork.objects.get_or_create(
        mailer=mailer, cidr="127.0.0.1/32", defaults={"note": "bench"}
    )
    _, api_key = MailerApiKey.objects.create_key(mailer=mailer, name="bench")

    integration = JourneyIntegration.objects.filter(name="bench-journey").first()
    if integration is None:
        integration = JourneyIntegration.objects.create(
            name="bench-journey",
            team=team,
            client_id="bench",
            client_secret="bench",  # never used: no task runs in the bench
        )
        integration.lists.add(bulk_list)

    user, _ = get_user_model().objects.get_or_create(
        username="bench-admin", defaults={"is_staff": True, "is_superuser": True}
    )
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value

    return {
        "list_uuid": str(bulk_list.uuid),
        "list_id": bulk_list.pk,
        "import_slug": IMPORT_SLUG,
        "import_list_id": import_list.pk,
        "rows": rows,
        "evidence_contact": evidence_contact,
        "evidence_events": evidence_events,
        "api_key": api_key,
        "journey_key": integration.endpoint_key,
        "session_cookie": f"{settings.SESSION_COOKIE_NAME}={cookie}",
        "out_dir": str(out_dir),
    }


if __name__ == "__main__":
    print(json.dumps(seed_bulk(Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]))))
