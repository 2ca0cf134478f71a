"""Index the audit events that name a user, so "whose logs were read" is answered without a scan.

Built CONCURRENTLY on PostgreSQL: a plain CREATE INDEX would hold up the audit INSERT of every API
request until the index over the whole audit trail is built. Partial, so events that name no user
(most reads) cost nothing more to write.
"""

import django.db.models.fields.json
from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


def concurrently_on_postgresql(concurrent_operation, plain_operation):
    """`concurrent_operation` (AddIndexConcurrently, RemoveIndexConcurrently) on PostgreSQL, `plain_operation`
    elsewhere: SQLite has no CONCURRENTLY."""

    class OnPostgreSQL(concurrent_operation):
        def database_forwards(self, app_label, schema_editor, from_state, to_state):
            operation = concurrent_operation if schema_editor.connection.vendor == "postgresql" else plain_operation
            operation.database_forwards(self, app_label, schema_editor, from_state, to_state)

        def database_backwards(self, app_label, schema_editor, from_state, to_state):
            operation = concurrent_operation if schema_editor.connection.vendor == "postgresql" else plain_operation
            operation.database_backwards(self, app_label, schema_editor, from_state, to_state)

    OnPostgreSQL.__name__ = OnPostgreSQL.__qualname__ = f"{concurrent_operation.__name__}OnPostgreSQL"
    return OnPostgreSQL


AddIndexConcurrentlyOnPostgreSQL = concurrently_on_postgresql(AddIndexConcurrently, migrations.AddIndex)


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("communication", "0010_audit_admin_reads"),
    ]

    operations = [
        AddIndexConcurrentlyOnPostgreSQL(
            model_name="auditevent",
            index=models.Index(
                django.db.models.fields.json.KeyTransform("user_id", "filters"),
                models.OrderBy(models.F("created_at"), descending=True),
                condition=models.Q(("filters__has_key", "user_id")),
                name="audit_subject_created_idx",
            ),
        ),
    ]
