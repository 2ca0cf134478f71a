"""Counters per (tenant, provider, template, channel, status) too, so the extra filters total exactly and fast.

The triggers now append delta rows keyed by all five columns. Readers fold them into two tables:
one row per (channel, status) for the main filters, whose size never grows, and one row per
(tenant_id, provider, template_id, channel, status) for totals that name a tenant, provider or
template (communication.totals).
"""

from importlib import import_module

from django.db import migrations

previous = import_module("communication.migrations.0002_log_count_counters")

LOG_TABLE = "communication_communicationlog"
KEY = "tenant_id, provider, template_id, channel, status"

CREATE_SQL = f"""
-- Writers wait here until commit, so the backfill below and the new triggers meet exactly.
LOCK TABLE {LOG_TABLE} IN SHARE ROW EXCLUSIVE MODE;

DELETE FROM communication_log_count_delta;
ALTER TABLE communication_log_count_delta
    ADD COLUMN tenant_id varchar(64) NOT NULL DEFAULT '',
    ADD COLUMN provider varchar(64) NOT NULL DEFAULT '',
    ADD COLUMN template_id varchar(64) NOT NULL DEFAULT '';

CREATE TABLE communication_log_count (
    channel varchar(8) NOT NULL,
    status varchar(16) NOT NULL,
    n bigint NOT NULL,
    PRIMARY KEY (channel, status)
);

CREATE TABLE communication_log_count_by_source (
    tenant_id varchar(64) NOT NULL,
    provider varchar(64) NOT NULL,
    template_id varchar(64) NOT NULL,
    channel varchar(8) NOT NULL,
    status varchar(16) NOT NULL,
    n bigint NOT NULL,
    PRIMARY KEY ({KEY})
);
CREATE INDEX communication_log_count_by_provider ON communication_log_count_by_source (provider);
CREATE INDEX communication_log_count_by_template ON communication_log_count_by_source (template_id);

CREATE OR REPLACE FUNCTION communication_log_count_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO communication_log_count_delta ({KEY}, delta)
    SELECT {KEY}, count(*) FROM new_rows GROUP BY {KEY};
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION communication_log_count_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO communication_log_count_delta ({KEY}, delta)
    SELECT {KEY}, -count(*) FROM old_rows GROUP BY {KEY};
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION communication_log_count_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO communication_log_count_delta ({KEY}, delta)
    SELECT {KEY}, sum(change) FROM (
        SELECT {KEY}, -1 AS change FROM old_rows
        UNION ALL
        SELECT {KEY}, 1 FROM new_rows
    ) AS changes
    GROUP BY {KEY}
    HAVING sum(change) <> 0;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION communication_log_count_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM communication_log_count_delta;
    DELETE FROM communication_log_count;
    DELETE FROM communication_log_count_by_source;
    RETURN NULL;
END $$;

INSERT INTO communication_log_count_by_source ({KEY}, n)
SELECT {KEY}, count(*) FROM {LOG_TABLE} GROUP BY {KEY};
INSERT INTO communication_log_count (channel, status, n)
SELECT channel, status, sum(n) FROM communication_log_count_by_source GROUP BY channel, status;
"""

DROP_SQL = """
DROP TABLE communication_log_count;
DROP TABLE communication_log_count_by_source;
"""


def create_counters(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE_SQL)


def restore_counters_of_0002(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(previous.DROP_SQL + DROP_SQL)
        schema_editor.execute(previous.CREATE_SQL)


class Migration(migrations.Migration):

    dependencies = [
        ("communication", "0002_log_count_counters"),
    ]

    operations = [
        migrations.RunPython(create_counters, restore_counters_of_0002, elidable=False),
    ]
