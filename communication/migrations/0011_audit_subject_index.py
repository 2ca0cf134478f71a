"""Index the audit events that name a user, so "whose logs were read" is answered without a scan.

Built CONCURRENTLY on PostgreSQL: a plain CREATE INDEX would hold up the audit INSERT of every API
request until the index over the whole audit trail is built. Partial, so events that name no user
(most reads) cost nothing more to write.
"""

import django.db.models.fields.json
from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class AddIndexConcurrentlyOnPostgreSQL(AddIndexConcurrently):
    """AddIndex, built CONCURRENTLY on PostgreSQL and plainly elsewhere."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)
        else:
            migrations.AddIndex.database_forwards(self, app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)
        else:
            migrations.AddIndex.database_backwards(self, app_label, schema_editor, from_state, to_state)


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
