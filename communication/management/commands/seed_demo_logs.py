from django.core.management.base import BaseCommand
from django.utils import timezone

from communication.models import CONTRACT_FIELDS, CommunicationLog
from communication.seeding import LogGenerator

DEMO_SEED = 20260415


class Command(BaseCommand):
    help = "Create a few hundred varied, realistic demo logs over the last 30 days; running it again adds nothing."

    def add_arguments(self, parser):
        parser.add_argument("--count", type=int, default=300, help="How many demo logs (default 300).")
        parser.add_argument("--users", type=int, default=25, help="How many distinct users (default 25).")
        parser.add_argument("--if-empty", action="store_true", help="Do nothing when the table already has logs.")

    def handle(self, *args, count, users, if_empty, **options):
        if if_empty and CommunicationLog.objects.exists():
            self.stdout.write("Logs already present; not seeding.")
            return
        # The same seed and anchor day give the same ids, so a rerun only meets conflicts.
        anchor = timezone.now().replace(hour=0, minute=0, second=0, microsecond=0)
        generator = LogGenerator(seed=DEMO_SEED, users=users, now=anchor, days=30, planned_rows=count)
        logs = [CommunicationLog(**dict(zip(CONTRACT_FIELDS, row, strict=True))) for row in generator.rows(count)]
        existing = set(CommunicationLog.objects.filter(pk__in=[log.pk for log in logs]).values_list("pk", flat=True))
        created = CommunicationLog.objects.bulk_create([log for log in logs if log.pk not in existing])
        self.stdout.write(f"Created {len(created)} demo logs ({len(existing)} already there).")
