from django.db import connection

from communication.lifecycle import PurgeCommand
from communication.models import CommunicationLog
from communication.totals import roll_up_and_vacuum


class Command(PurgeCommand):
    help = "Delete communication logs older than the retention age, in short batches; safe to interrupt and rerun."

    model = CommunicationLog
    retention_setting = "LOG_RETENTION_DAYS"
    noun = "logs"

    def handle(self, *args, **options):
        super().handle(*args, **options)
        if connection.vendor == "postgresql" and not options["dry_run"]:
            # Fold the purge's delta rows now, and drop the day and hour counters it emptied.
            roll_up_and_vacuum(connection)
