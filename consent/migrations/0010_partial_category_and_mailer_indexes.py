"""Index the category and mailer of events and suppressions only where they are set.

Most opt-outs are list-wide and carry no mailer: a full foreign-key index holds a NULL entry
for each of them, written on every opt-out and every imported row, and never read.
"""

import django.db.models.deletion
from django.db import migrations, models

# The names Django gave the full indexes (the same on PostgreSQL and SQLite).
FULL_INDEXES = [
    ("consent_consentevent_category_id_e5c57e71", "consent_consentevent", "category_id"),
    ("consent_consentevent_mailer_id_738a281a", "consent_consentevent", "mailer_id"),
    ("consent_suppression_category_id_529f53f9", "consent_suppression", "category_id"),
]


class Migration(migrations.Migration):
    dependencies = [
        ("consent", "0009_drop_fk_indexes_covered_by_composites"),
        ("lists", "0008_mailinglist_content_version"),
    ]

    operations = [
        # As in 0009: only the indexes go. AlterField would drop and re-add each foreign key,
        # and re-adding one checks every row of the table under lock.
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="consentevent",
                    name="category",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="events",
                        to="lists.category",
                        verbose_name="category",
                    ),
                ),
                migrations.AlterField(
                    model_name="consentevent",
                    name="mailer",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="events",
                        to="lists.mailer",
                        verbose_name="mailer",
                    ),
                ),
                migrations.AlterField(
                    model_name="suppression",
                    name="category",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="suppressions",
                        to="lists.category",
                        verbose_name="category",
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
            model_name="consentevent",
            index=models.Index(
                condition=models.Q(("category__isnull", False)),
                fields=["category"],
                name="event_category",
            ),
        ),
        migrations.AddIndex(
            model_name="consentevent",
            index=models.Index(
                condition=models.Q(("mailer__isnull", False)),
                fields=["mailer"],
                name="event_mailer",
            ),
        ),
        migrations.AddIndex(
            model_name="suppression",
            index=models.Index(
                condition=models.Q(("category__isnull", False)),
                fields=["category"],
                name="suppression_category",
            ),
        ),
    ]
