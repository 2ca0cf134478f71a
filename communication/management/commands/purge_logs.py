from django.db import connection

from communication.audit.models import AuditEvent
from communication.counters import forget_month, roll_up_and_vacuum
from communication.counts import count_logs
from communication.lifecycle import PurgeCommand
from communication.models import CommunicationLog


class Command(PurgeCommand):
    help = (
        "Delete communication logs older than the retention age: on PostgreSQL whole months by dropping their "
        "partitions, the rest in short batches; safe to interrupt and rerun. Each purge is in the audit trail."
    )

    model = CommunicationLog
    retention_setting = "LOG_RETENTION_DAYS"
    noun = "logs"
    audit_action = AuditEvent.Action.PURGE

    def count(self, rows):
        return count_logs(rows)

    def forget(self, partition):
        return forget_month(partition)

    def handle(self, *args, **options):
        super().handle(*args, **options)
        if connection.vendor == "postgresql" and not options["dry_run"]:
            # Fold the purge's delta rows now, and drop the day and hour counters it emptied.
            roll_up_and_vacuum()
