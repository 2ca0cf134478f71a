"""Reads of the logs, their counters and the audit trail from a streaming replica (`DATABASE_REPLICA_URL`).

The router sends those reads to the replica while it answers and is caught up to within
DJANGO_REPLICA_MAX_LAG_SECONDS, and everything else, every write included, to the primary. Each process looks at
the replica every few seconds; when it cannot be reached or lags, reads fall back to the primary, a log line
says so, and they return when it has recovered.
"""

import logging
import time

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections

logger = logging.getLogger("commlogs.replica")

REPLICA = "replica"
# Seconds a verdict on the replica stands: reads move within this and the connect timeout.
CHECK_EVERY_SECONDS = 2
# Reads that may go to the replica: the logs, the counters that total them, and the audit trail's pages.
ROUTED = {
    ("communication", "communicationlog"),
    ("communication", "logcount"),
    ("communication", "logcountbysource"),
    ("communication", "logcountbyday"),
    ("communication", "logcountbyhour"),
    ("communication", "logcountdelta"),
    ("communication", "auditevent"),
}
# How far behind the primary the replica is: nothing while it has replayed all it received.
LAG_SQL = """
SELECT CASE WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0
            ELSE coalesce(extract(epoch FROM now() - pg_last_xact_replay_timestamp()), 0) END
"""


class ReplicaHealth:
    """Whether the replica may serve reads, looked at no more often than every CHECK_EVERY_SECONDS."""

    def __init__(self):
        self.usable = None
        self.checked_at = None

    def __call__(self):
        if self.checked_at is None or time.monotonic() - self.checked_at >= CHECK_EVERY_SECONDS:
            self.look()
        return bool(self.usable)

    def failed(self):
        """After a database error: whether the replica is gone, in which case reads go to the primary from now."""
        if REPLICA not in settings.DATABASES:
            return False
        connections[REPLICA].close_if_unusable_or_obsolete()
        self.look()
        return not self.usable

    def look(self):
        self.checked_at = time.monotonic()
        self.report(self.why_not())

    def why_not(self):
        """None when the replica may serve reads, else why not."""
        try:
            with connections[REPLICA].cursor() as cursor:
                cursor.execute(LAG_SQL)
                lag = cursor.fetchone()[0]
        except DatabaseError as error:
            connections[REPLICA].close()
            return f"cannot be reached ({type(error).__name__})"
        if lag > settings.REPLICA_MAX_LAG_SECONDS:
            return f"lags {lag:.0f} s behind, more than {settings.REPLICA_MAX_LAG_SECONDS} s"
        return None

    def report(self, reason):
        if reason is not None and self.usable is not False:
            logger.warning("reads fall back to the primary: the replica %s", reason)
        elif reason is None and self.usable is not True:
            logger.info("reads go to the replica")
        self.usable = reason is None


replica_is_usable = ReplicaHealth()


class ReplicaRouter:
    """DATABASE_ROUTERS: the reads of ROUTED models to the replica while it is usable; the rest to the primary."""

    def db_for_read(self, model, **hints):
        # By app label and model name: the database cache asks for its table with a stand-in that has no more.
        if (model._meta.app_label, model._meta.model_name) in ROUTED and replica_is_usable():
            return REPLICA
        return DEFAULT_DB_ALIAS

    def db_for_write(self, model, **hints):
        return DEFAULT_DB_ALIAS

    def allow_relation(self, first, second, **hints):
        return True

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == DEFAULT_DB_ALIAS
