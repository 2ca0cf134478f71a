"""Mixed admin traffic for `make loadtest`: filters, paging, bad requests and unauthenticated calls."""

import os
import random
from collections import Counter

from locust import HttpUser, between, events, task

LOGS_URL = "/admin/communication/logs"
TOKENS = os.environ["LOADTEST_TOKENS"].split(",")
FILTERS = [
    {},
    {"channel": "sms"},
    {"channel": "email,push"},
    {"status": "failed"},
    {"channel": "sms", "status": "delivered"},
    {"user_id": "usr_000042"},
    {"tenant_id": "tnt_acme01"},
    {"created_after": "2026-01-01", "created_before": "2027-01-01"},
]
BAD_REQUESTS = [{"channel": "fax"}, {"page": "0"}, {"page_size": "ten"}, {"created_after": "yesterday"}]
answers_by_status = Counter()


@events.request.add_listener
def count_status(response=None, **kwargs):
    if response is not None:
        answers_by_status[response.status_code] += 1


@events.quitting.add_listener
def report_statuses(environment, **kwargs):
    server_errors = sum(count for status, count in answers_by_status.items() if status >= 500)
    print(f"answers by status: {dict(sorted(answers_by_status.items()))}; 5xx: {server_errors}")
    if server_errors:
        environment.process_exit_code = 1


class StaffReader(HttpUser):
    """One staff member paging through the admin UI: mostly reads, now and then a mistake."""

    wait_time = between(0.2, 1.0)

    def on_start(self):
        self.client.headers["Authorization"] = f"Bearer {random.choice(TOKENS)}"

    def get(self, params, expected, name, headers=None):
        with self.client.get(LOGS_URL, params=params, name=name, headers=headers, catch_response=True) as response:
            if response.status_code == expected:
                response.success()
            else:
                response.failure(f"expected {expected}, got {response.status_code} {response.error or ''}")

    @task(10)
    def filtered_first_page(self):
        self.get({**random.choice(FILTERS), "page_size": random.choice(["20", "50", "100"])}, 200, "filtered")

    @task(5)
    def later_page(self):
        self.get({**random.choice(FILTERS), "page": str(random.randint(2, 60))}, 200, "paged")

    @task(2)
    def bad_request(self):
        self.get(random.choice(BAD_REQUESTS), 400, "bad request")

    @task(1)
    def unauthenticated(self):
        # None drops the session's Authorization header for this request.
        self.get(random.choice(FILTERS), 401, "unauthenticated", headers={"Authorization": None})
