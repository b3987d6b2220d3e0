"""Journey opt-out requests: no index that the unique pair already covers, none for NULLs.

Each received request is written in the platform's one-click call: the integration's own
index repeated the first column of `journeyrequest_unique_pair`, and the contact's held a
NULL entry for every request not decrypted yet.
"""

import django.db.models.deletion
from django.db import migrations, models

# The names Django gave the full indexes (the same on PostgreSQL and SQLite).
FULL_INDEXES = [
    (
        "consent_journeyoptoutrequest_integration_id_94102603",
        "consent_journeyoptoutrequest",
        "integration_id",
    ),
    (
        "consent_journeyoptoutrequest_contact_id_bf9ddab9",
        "consent_journeyoptoutrequest",
        "contact_id",
    ),
]


class Migration(migrations.Migration):
    dependencies = [
        ("consent", "0010_partial_category_and_mailer_indexes"),
        ("lists", "0008_mailinglist_content_version"),
    ]

    operations = [
        # As in 0009: only the indexes go; AlterField would also drop and re-add the foreign
        # keys, checking every row again under lock.
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="journeyoptoutrequest",
                    name="integration",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="opt_out_requests",
                        to="lists.journeyintegration",
                        verbose_name="integration",
                    ),
                ),
                migrations.AlterField(
                    model_name="journeyoptoutrequest",
                    name="contact",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="journey_requests",
                        to="consent.contact",
                        verbose_name="contact",
                    ),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    f"DROP INDEX IF EXISTS {name}", f"CREATE INDEX {name} ON {table} ({column})"
                )
                for name, table, column in FULL_INDEXES
            ],
        ),
        migrations.AddIndex(
            model_name="journeyoptoutrequest",
            index=models.Index(
                condition=models.Q(("contact__isnull", False)),
                fields=["contact"],
                name="journeyrequest_contact",
            ),
        ),
    ]
