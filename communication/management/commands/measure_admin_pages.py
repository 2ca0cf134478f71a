"""Time the communication-log admin pages against the data in the database and print the figures."""

import statistics
import time

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from communication.models import CommunicationLog

LIST_URL = "/admin/communication/communicationlog/"


class Command(BaseCommand):
    help = "Time the admin's log list (plain, paged, filtered, searched) and a detail page; print milliseconds."

    def add_arguments(self, parser):
        parser.add_argument("--username", required=True, help="A staff user allowed to view communication logs.")
        parser.add_argument("--repeat", type=int, default=5, help="Timed requests per page (default 5).")

    def handle(self, *args, username, repeat, **options):
        if repeat < 1:
            raise CommandError("--repeat must be at least 1")
        user = get_user_model().objects.filter(username=username, is_active=True, is_staff=True).first()
        if user is None or not user.has_perm("communication.view_communicationlog"):
            raise CommandError(f"{username} is not an active staff user with the view permission")
        newest = CommunicationLog.objects.order_by("-created_at", "-id").first()
        if newest is None:
            raise CommandError("there are no communication logs to measure")

        client = Client(HTTP_HOST="localhost")
        client.force_login(user)
        rows = CommunicationLog.objects.count()
        self.stdout.write(f"{rows} logs on {connection.vendor}; median (min-max) of {repeat} requests after a warm-up")
        pages = {
            "list, page 1": (LIST_URL, {}),
            "list, page 100": (LIST_URL, {"p": 100}),
            "filter channel=email": (LIST_URL, {"channel__exact": "email"}),
            "filter status=failed": (LIST_URL, {"status__exact": "failed"}),
            f"filter provider={newest.provider}": (LIST_URL, {"provider": newest.provider}),
            "search exact user_id": (LIST_URL, {"q": newest.user_id}),
            "search full recipient": (LIST_URL, {"q": newest.recipient}),
            "detail page": (f"{LIST_URL}{newest.pk}/change/", {}),
        }
        for label, (url, params) in pages.items():
            self.stdout.write(self.measure(client, label, url, params, repeat))

    def measure(self, client, label, url, params, repeat):
        client.get(url, params, follow=True)
        timings = []
        for _ in range(repeat):
            with CaptureQueriesContext(connection) as queries:
                started = time.perf_counter()
                response = client.get(url, params, follow=True)
                timings.append((time.perf_counter() - started) * 1000)
            if response.status_code != 200:
                raise CommandError(f"{label}: status {response.status_code}")
        return (
            f"  {label:<28} {statistics.median(timings):8.1f} ms "
            f"({min(timings):.1f}-{max(timings):.1f}), {len(queries)} queries"
        )
