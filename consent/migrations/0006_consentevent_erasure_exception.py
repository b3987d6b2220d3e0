"""The one exception to append-only events: erasing a contact's personal traces.

The trigger function of 0002 is replaced. UPDATE passes only inside a transaction that set
`optout.erasure` (the erasure service does, with SET LOCAL semantics), and only when the row
loses nothing but personal traces: `ip` becomes NULL, `user_agent` becomes empty, `detail`
only loses keys (the old detail contains the new one) and every other column, including any
added later, stays exactly as it was. DELETE is still refused. PostgreSQL only.
"""

from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps

FORWARD = """
CREATE OR REPLACE FUNCTION consent_event_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'UPDATE'
        AND current_setting('optout.erasure', true) = 'on'
        AND NEW.ip IS NULL
        AND NEW.user_agent = ''
        AND OLD.detail @> NEW.detail
        AND (to_jsonb(NEW) - 'ip' - 'user_agent' - 'detail')
            = (to_jsonb(OLD) - 'ip' - 'user_agent' - 'detail')
    THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'consent events are append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
"""

# The function exactly as migration 0002 created it.
REVERSE = """
CREATE OR REPLACE FUNCTION consent_event_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'consent events are append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
"""


def forward(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD, params=None)


def reverse(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(REVERSE, params=None)


class Migration(migrations.Migration):
    dependencies = [("consent", "0005_downloadlog_digest_report_indexes")]

    operations = [migrations.RunPython(forward, reverse)]
