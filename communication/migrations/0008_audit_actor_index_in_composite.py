"""Drop the audit trail's index on `actor_id` alone: audit_actor_created_idx leads with it and serves the key.

Only the index goes. Django's AlterField would also drop and re-add the foreign key, and re-adding it
checks every audit row under a lock that holds up the audit INSERT of every API request meanwhile.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

INDEX = "communication_auditevent_actor_id_0dc2f42e"


class Migration(migrations.Migration):
    dependencies = [
        ("communication", "0007_log_count_between"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="auditevent",
                    name="actor",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    f'DROP INDEX IF EXISTS "{INDEX}"',
                    f'CREATE INDEX IF NOT EXISTS "{INDEX}" ON "communication_auditevent" ("actor_id")',
                ),
            ],
        ),
    ]
