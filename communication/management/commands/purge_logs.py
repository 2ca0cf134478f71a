from communication.lifecycle import PurgeCommand
from communication.models import CommunicationLog


class Command(PurgeCommand):
    help = "Delete communication logs older than the retention age, in short batches; safe to interrupt and rerun."

    model = CommunicationLog
    retention_setting = "LOG_RETENTION_DAYS"
    noun = "logs"
