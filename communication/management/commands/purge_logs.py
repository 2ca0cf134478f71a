from django.db import connection

from communication.audit.models import AuditEvent
from communication.counters import roll_up_and_vacuum
from communication.lifecycle import PurgeCommand
from communication.models import CommunicationLog


class Command(PurgeCommand):
    help = (
        "Delete communication logs older than the retention age, in short batches; safe to interrupt and rerun. "
        "Each purge is recorded in the audit trail."
    )

    model = CommunicationLog
    retention_setting = "LOG_RETENTION_DAYS"
    noun = "logs"
    audit_action = AuditEvent.Action.PURGE

    def handle(self, *args, **options):
        super().handle(*args, **options)
        if connection.vendor == "postgresql" and not options["dry_run"]:
            # Fold the purge's delta rows now, and drop the day and hour counters it emptied.
            roll_up_and_vacuum()
