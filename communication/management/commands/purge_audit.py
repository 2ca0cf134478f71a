from communication.audit.models import AuditEvent, deletes_allowed
from communication.lifecycle import PurgeCommand


class Command(PurgeCommand):
    help = (
        "Delete audit events older than their retention age: on PostgreSQL whole months by dropping their "
        "partitions, the rest in short batches; safe to interrupt and rerun. "
        "The only way audit events are ever deleted, and never one younger than DJANGO_AUDIT_RETENTION_DAYS."
    )

    model = AuditEvent
    retention_setting = "AUDIT_RETENTION_DAYS"
    noun = "audit events"
    audit_action = AuditEvent.Action.AUDIT_PURGE
    retention_is_a_minimum = True

    def deleting(self):
        return deletes_allowed()
