"""Drop the LIKE indexes PostgreSQL's schema editor adds to text primary keys: nothing ever reads them.

A log id and a throttle window's key are only ever looked up whole (the primary key, the admin's
`=id` search, the throttle's upsert), so `varchar_pattern_ops` served no query while every INSERT
placed an entry for a random id in it: 474 MB at 10M rows, and one more index to rebuild after a
bulk load. Django recreates such an index on a later AlterField of the key; tests/test_indexes.py
would then fail.
"""

from importlib import import_module

from django.db import migrations

on_postgresql = import_module("communication.migrations.0007_log_count_between").on_postgresql

LIKE_INDEXES = {
    "communication_communicationlog_id_459d5c7f_like": "communication_communicationlog (id varchar_pattern_ops)",
    "communication_requestwindow_key_7fb3a25d_like": "communication_requestwindow (key varchar_pattern_ops)",
}

DROP_SQL = "".join(f'DROP INDEX IF EXISTS "{name}";' for name in LIKE_INDEXES)
CREATE_SQL = "".join(f'CREATE INDEX IF NOT EXISTS "{name}" ON {target};' for name, target in LIKE_INDEXES.items())


class Migration(migrations.Migration):
    dependencies = [
        ("communication", "0008_audit_actor_index_in_composite"),
    ]

    operations = [
        migrations.RunPython(on_postgresql(DROP_SQL), on_postgresql(CREATE_SQL), elidable=False),
    ]
