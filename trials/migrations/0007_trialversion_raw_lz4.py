"""Compress TrialVersion.raw with lz4 instead of pglz on PostgreSQL.

A version's raw record is up to 1.5 MB of JSON and every changed record writes one:
pglz compression was half of what PostgreSQL spent storing a page of new versions, and
lz4 does the same in half that time for about the same size. Storage only; rows already
stored keep pglz until rewritten. Skipped on other databases, and on a PostgreSQL server
without lz4 (before 14, or built without it), where pglz simply stays.
"""

from django.db import DatabaseError, migrations, transaction


def _compression(method: str):
    def apply(apps, schema_editor):
        connection = schema_editor.connection
        if connection.vendor != "postgresql" or connection.pg_version < 140000:
            return
        try:
            with transaction.atomic(using=connection.alias):
                schema_editor.execute(
                    f"ALTER TABLE trials_trialversion ALTER COLUMN raw SET COMPRESSION {method}"
                )
        except DatabaseError:  # this server has no lz4: keep its default
            pass

    return apply


class Migration(migrations.Migration):
    dependencies = [
        ("trials", "0006_profile_status_order_covering"),
    ]

    operations = [
        migrations.RunPython(_compression("lz4"), _compression("pglz"), elidable=True),
    ]
