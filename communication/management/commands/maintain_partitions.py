from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError, connection

from communication.partitions import PARTITIONED, is_partitioned, maintain, move_default_rows

# What cron sees when rows wait in a default partition: nothing is lost, but someone should look.
ROWS_IN_DEFAULT_RETURN_CODE = 3


class Command(BaseCommand):
    help = (
        "Make the coming months' partitions of the logs and the audit trail (pg_partman); run it daily. Reports rows "
        "that landed in a default partition, outside every month kept, and with --move-default moves them into "
        "partitions of their months."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--move-default", action="store_true", help="Make the months the default partitions' rows belong to."
        )

    def handle(self, *args, move_default, **options):
        if not is_partitioned(PARTITIONED[0]):
            raise CommandError(f"{connection.vendor} keeps the tables whole: only PostgreSQL partitions them")
        try:
            if move_default:
                for model in PARTITIONED:
                    moved = move_default_rows(model)
                    self.stdout.write(f"Moved {moved} rows of {model._meta.db_table} into partitions of their months.")
            waiting = maintain()
        except DatabaseError as error:
            cause = f"{error.__class__.__name__}: {str(error).strip()}"
            raise CommandError(
                f"The partitions could not be made ({cause}). Nothing is lost: rows outside every month land in the "
                "default partition; fix the cause and run this again."
            ) from None
        self.stdout.write("The partitions of the coming months are made.")
        for table, rows in waiting.items():
            self.stderr.write(f"{rows} rows in {table}, outside every month kept: run with --move-default.")
        if waiting:
            raise CommandError("rows wait in a default partition", returncode=ROWS_IN_DEFAULT_RETURN_CODE)
