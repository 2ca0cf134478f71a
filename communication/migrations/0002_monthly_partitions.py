"""PostgreSQL only: the log table and the audit trail partitioned by month of `created_at`, kept by pg_partman.

Each table 0001 made is replaced, while still empty, by one declared `PARTITION BY RANGE (created_at)` with the
same columns, defaults, checks, indexes and triggers, and a primary key that holds `created_at` as PostgreSQL
requires. pg_partman then makes the monthly partitions around the current month and a default partition for a
row outside every month it keeps. Without the text `LIKE` index Django gives a text primary key: ids are looked
up whole. SQLite keeps 0001's plain tables.
"""

from django.db import migrations

TABLES = ("communication_communicationlog", "communication_auditevent")
MONTHS_MADE_AHEAD = 4


def partition_by_month(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    run = schema_editor.execute
    try:
        run("CREATE SCHEMA IF NOT EXISTS partman")
        run("CREATE EXTENSION IF NOT EXISTS pg_partman SCHEMA partman")
    except Exception as error:
        raise RuntimeError(
            "pg_partman is not installed on this PostgreSQL server: install Debian's postgresql-15-partman "
            "(or your platform's pg_partman 4), or have a superuser run `CREATE EXTENSION pg_partman SCHEMA partman`"
        ) from error
    run("SET LOCAL TIME ZONE 'UTC'")
    for table in TABLES:
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(f"SELECT EXISTS (SELECT FROM {table})")
            if cursor.fetchone()[0]:
                raise RuntimeError(f"{table} holds rows: partition a fresh database, then load it")
            cursor.execute(INDEXES, [table])
            indexes = [definition for (definition,) in cursor.fetchall()]
            cursor.execute(TRIGGERS, [table])
            triggers = [statement for row in cursor.fetchall() for statement in row if statement]
            cursor.execute(SERIAL_ID, [table])
            serial_id = cursor.fetchone()[0]
        run(
            f"CREATE TABLE {table}_by_month (LIKE {table} INCLUDING DEFAULTS INCLUDING CONSTRAINTS) PARTITION BY RANGE (created_at)"
        )
        run(f"DROP TABLE {table}")
        run(f"ALTER TABLE {table}_by_month RENAME TO {table}")
        if serial_id:
            # An identity column is not allowed on a partitioned table before PostgreSQL 17: a sequence instead.
            run(f"CREATE SEQUENCE {table}_id_seq AS bigint OWNED BY {table}.id")
            run(f"ALTER TABLE {table} ALTER COLUMN id SET DEFAULT nextval('{table}_id_seq')")
        run(f"ALTER TABLE {table} ADD CONSTRAINT {table}_pkey PRIMARY KEY (id, created_at)")
        for definition in indexes + triggers:
            run(definition)
        run(
            f"SELECT partman.create_parent('public.{table}', 'created_at', 'native', 'monthly', "
            f"p_premake := {MONTHS_MADE_AHEAD})"
        )


# The indexes 0001 made, but for the primary key and Django's LIKE index on a text primary key.
INDEXES = """
SELECT pg_get_indexdef(i.indexrelid) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
WHERE i.indrelid = %s::regclass AND NOT i.indisprimary AND c.relname NOT LIKE '%%\\_like'
"""
# The triggers 0001 installed (django-pgtrigger's), and the comments django-pgtrigger knows them by.
TRIGGERS = """
SELECT pg_get_triggerdef(t.oid),
       format('COMMENT ON TRIGGER %%I ON %%s IS %%L', t.tgname, t.tgrelid::regclass, obj_description(t.oid, 'pg_trigger'))
FROM pg_trigger t WHERE t.tgrelid = %s::regclass AND NOT t.tgisinternal
"""
SERIAL_ID = """
SELECT attidentity <> '' FROM pg_attribute WHERE attrelid = %s::regclass AND attname = 'id'
"""


class Migration(migrations.Migration):
    # A schema change and pg_partman's set-up in one transaction.
    atomic = True

    dependencies = [("communication", "0001_initial")]

    operations = [migrations.RunPython(partition_by_month, migrations.RunPython.noop)]
