import os
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from communication.api.exports import csv_chunks, jsonl_chunks, log_rows
from communication.api.serializers import UserExportSerializer
from communication.audit.models import AuditEvent
from communication.audit.recording import record_event
from communication.lifecycle import INTERRUPTED_RETURN_CODE, actor_for, add_user_arguments
from communication.models import CommunicationLog

FORMATS = ("jsonl", "csv")
# The file holds unmasked personal data: readable by its owner only.
OUTPUT_FILE_MODE = 0o600


class Command(BaseCommand):
    help = (
        "Write every log of one user, recipient unmasked, to a file (GDPR Art. 15 and 20); streams, so memory "
        "stays flat at any size. Records the export in the audit trail."
    )

    def add_arguments(self, parser):
        add_user_arguments(parser)
        parser.add_argument("--output", required=True, type=Path, help="File to create; it must not exist yet.")
        parser.add_argument(
            "--format", dest="output_format", choices=FORMATS, default="jsonl", help="jsonl (default) or csv."
        )

    def handle(self, *args, user_id, output, output_format, actor, **options):
        actor = actor_for(actor)
        if output.exists():
            raise CommandError(f"--output: {output} already exists; choose a new file name")
        serializer = UserExportSerializer()
        rows = CountedRows(
            log_rows(CommunicationLog.objects.filter(user_id=user_id).order_by("-created_at", "-id"), serializer)
        )
        chunks = csv_chunks(rows, serializer.Meta.fields) if output_format == "csv" else jsonl_chunks(rows)
        # Written beside the target and renamed once audited, so a failed or interrupted export leaves no file.
        partial = output.with_name(f".{output.name}.partial")
        try:
            descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, OUTPUT_FILE_MODE)
            with open(descriptor, "w", encoding="utf-8", newline="") as file:
                file.writelines(chunks)
            record_event(
                actor=actor,
                action=AuditEvent.Action.USER_EXPORT,
                filters={"user_id": user_id, "format": output_format},
                total=rows.count,
            )
            os.replace(partial, output)
        except OSError as error:
            raise CommandError(f"--output: cannot write {output}: {error.strerror}") from None
        except KeyboardInterrupt:
            raise CommandError(f"Interrupted; {output} was not written.", returncode=INTERRUPTED_RETURN_CODE) from None
        finally:
            partial.unlink(missing_ok=True)
        self.stdout.write(f"Exported {rows.count} logs of user {user_id} to {output} ({output_format}).")


class CountedRows:
    """Pass rows through, counting them."""

    def __init__(self, rows):
        self.rows = rows
        self.count = 0

    def __iter__(self):
        for row in self.rows:
            self.count += 1
            yield row
