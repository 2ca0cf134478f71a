"""The user index carries each row's channel and status, so a user's total under those filters reads no table.

`commlog_user_created_idx (user_id, created_at DESC, id DESC)` answered a user's total by an
index-only scan, but with `channel` or `status` named it visited the table for every row of the
user (a bitmap heap scan), which for a user with 40,000 logs took 17–33 ms warm, and a random page
read per row once the table outgrows memory. `commlog_user_covering_idx` is the same index with
`INCLUDE (channel, status)`: the same order for the pages, and the filters applied to its leaves.
It is built CONCURRENTLY before the old one is dropped CONCURRENTLY, so writers are never held up
and reads always have one of the two.
"""

from importlib import import_module

from django.contrib.postgres.operations import RemoveIndexConcurrently
from django.db import migrations, models

subject_index = import_module("communication.migrations.0011_audit_subject_index")


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("communication", "0013_audit_trail_reads_and_logins"),
    ]

    operations = [
        subject_index.AddIndexConcurrentlyOnPostgreSQL(
            model_name="communicationlog",
            index=models.Index(
                fields=["user_id", "-created_at", "-id"], include=["channel", "status"], name="commlog_user_covering_idx"
            ),
        ),
        subject_index.concurrently_on_postgresql(RemoveIndexConcurrently, migrations.RemoveIndex)(
            model_name="communicationlog",
            name="commlog_user_created_idx",
        ),
    ]
