"""`make bench-admin USERNAME=...`: time the communication-log admin pages against the data in DATABASE_URL."""

import argparse
import statistics
import sys
import time
from pathlib import Path

LIST_URL = "/admin/communication/communicationlog/"


class Refused(Exception):
    """The measurement cannot run: the user, or the data, is not there."""


def measure_admin_pages(username, repeat, write):
    """Time each admin page `repeat` times after a warm-up, as `username`; `write` each line of figures."""
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from communication.models import CommunicationLog

    user = get_user_model().objects.filter(username=username, is_active=True, is_staff=True).first()
    if user is None or not user.has_perm("communication.view_communicationlog"):
        raise Refused(f"{username} is not an active staff user with the view permission")
    newest = CommunicationLog.objects.order_by("-created_at", "-id").first()
    if newest is None:
        raise Refused("there are no communication logs to measure")
    client = Client(HTTP_HOST="localhost")
    client.force_login(user)
    write(f"{CommunicationLog.objects.count()} logs on {connection.vendor}; median (min-max) of {repeat} requests")
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
        client.get(url, params, follow=True)
        timings = []
        for _ in range(repeat):
            with CaptureQueriesContext(connection) as queries:
                started = time.perf_counter()
                response = client.get(url, params, follow=True)
                timings.append((time.perf_counter() - started) * 1000)
            if response.status_code != 200:
                raise Refused(f"{label}: status {response.status_code}")
        write(
            f"  {label:<28} {statistics.median(timings):8.1f} ms "
            f"({min(timings):.1f}-{max(timings):.1f}), {len(queries)} queries"
        )


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    import django

    django.setup()
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--username", required=True, help="A staff user allowed to view communication logs.")
    parser.add_argument("--repeat", type=int, default=5, help="Timed requests per page (default 5).")
    arguments = parser.parse_args()
    try:
        measure_admin_pages(arguments.username, max(1, arguments.repeat), print)
    except Refused as refusal:
        sys.exit(str(refusal))
