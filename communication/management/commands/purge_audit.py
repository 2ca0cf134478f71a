from communication.lifecycle import PurgeCommand
from communication.models import AuditEvent


class Command(PurgeCommand):
    help = "Delete audit events older than their retention age, in short batches; safe to interrupt and rerun."

    model = AuditEvent
    retention_setting = "AUDIT_RETENTION_DAYS"
    noun = "audit events"
