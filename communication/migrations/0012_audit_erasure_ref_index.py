"""Index the erasures' `user_ref`, so that "whose logs" finds a user's erasures too (AuditEventQuerySet.about_user).

Partial, over the few events that carry one, and built CONCURRENTLY on PostgreSQL as 0011's index is.
"""

from importlib import import_module

import django.db.models.fields.json
from django.db import migrations, models

AddIndexConcurrentlyOnPostgreSQL = import_module(
    "communication.migrations.0011_audit_subject_index"
).AddIndexConcurrentlyOnPostgreSQL


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("communication", "0011_audit_subject_index"),
    ]

    operations = [
        AddIndexConcurrentlyOnPostgreSQL(
            model_name="auditevent",
            index=models.Index(
                django.db.models.fields.json.KeyTransform("user_ref", "filters"),
                condition=models.Q(("filters__has_key", "user_ref")),
                name="audit_erasure_ref_idx",
            ),
        ),
    ]
