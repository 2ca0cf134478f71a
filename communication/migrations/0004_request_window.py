"""The logs API's throttle counters: one row per client, UNLOGGED on PostgreSQL.

An unlogged table writes no WAL, so counting a request does not wait for a disk flush; after a
crash PostgreSQL empties it, which only restarts every client's current window.
"""

from django.db import migrations, models


def make_unlogged(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE communication_requestwindow SET UNLOGGED")


class Migration(migrations.Migration):

    dependencies = [
        ("communication", "0003_log_counters_by_source"),
    ]

    operations = [
        migrations.CreateModel(
            name="RequestWindow",
            fields=[
                ("key", models.CharField(max_length=200, primary_key=True, serialize=False)),
                (
                    "window_number",
                    models.BigIntegerField(help_text="Seconds since the epoch divided by the window's length."),
                ),
                ("hits", models.PositiveIntegerField()),
            ],
            options={
                "verbose_name": "request window",
                "verbose_name_plural": "request windows",
            },
        ),
        migrations.RunPython(make_unlogged, migrations.RunPython.noop, elidable=False),
    ]
