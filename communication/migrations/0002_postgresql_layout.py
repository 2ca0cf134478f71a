"""PostgreSQL only: the log table without the `LIKE` index Django adds to a text primary key (logs are looked up
by whole id, never by prefix, and every write would pay for it). SQLite keeps 0001's tables as they are."""

from django.db import migrations

LIKE_INDEXES = """
SELECT indexname FROM pg_indexes
WHERE tablename = 'communication_communicationlog' AND indexname LIKE '%%\\_like'
"""


def drop_like_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(LIKE_INDEXES)
        for (name,) in cursor.fetchall():
            schema_editor.execute(f"DROP INDEX {schema_editor.quote_name(name)}")


class Migration(migrations.Migration):
    dependencies = [("communication", "0001_initial")]

    operations = [migrations.RunPython(drop_like_indexes, migrations.RunPython.noop)]
