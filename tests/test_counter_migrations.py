"""Migrating the counters back and forth keeps every total exact, deltas not yet folded included."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection

from communication.models import CommunicationLog
from communication.seeding import BatchLogGenerator, write_rows
from communication.totals import count_logs
from tests.conftest import BASE_TIME, postgres_only

pytestmark = [
    pytest.mark.postgres,
    postgres_only,
    pytest.mark.django_db(transaction=True),
]


def folded_and_pending(table):
    """The counter table's sum and the delta rows' sum, as the SQL of migration 0003 reads them."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT (SELECT coalesce(sum(n), 0) FROM {table}), "
            "(SELECT coalesce(sum(delta), 0) FROM communication_log_count_delta)"
        )
        return cursor.fetchone()


COUNTER_TABLES = (
    "communication_log_count",
    "communication_log_count_by_source",
    "communication_log_count_by_day",
    "communication_log_count_by_hour",
)
RANGES = (
    {"created_after": BASE_TIME - timedelta(days=6, hours=3), "status": ["failed"]},
    {"created_before": BASE_TIME - timedelta(days=2), "channel": ["sms", "push"]},
    {"created_after": BASE_TIME - timedelta(days=9), "created_before": BASE_TIME - timedelta(hours=30)},
    {"channel": ["email"]},
    {"created_after": BASE_TIME - timedelta(minutes=1820), "created_before": BASE_TIME - timedelta(minutes=165)},
    {"created_after": BASE_TIME - timedelta(hours=5, minutes=50), "created_before": BASE_TIME - timedelta(minutes=65)},
    {"created_after": BASE_TIME - timedelta(days=2, hours=7), "channel": ["sms", "email"]},
)


@pytest.mark.parametrize(
    ("earlier", "kept_there"),
    [("0004", COUNTER_TABLES[:2]), ("0005", COUNTER_TABLES[:3]), ("0006", COUNTER_TABLES)],
    ids=["without day counters", "without hour counters", "without the count function"],
)
def test_migrating_the_counters_back_and_forth_keeps_totals_exact(earlier, kept_there):
    generator = BatchLogGenerator(seed=5, users=20, now=BASE_TIME, days=10)
    write_rows(generator.rows(300))
    call_command("roll_up_log_counters", verbosity=0)
    write_rows(generator.rows(40))

    call_command("migrate", "communication", earlier, verbosity=0)
    write_rows(generator.rows(25))
    CommunicationLog.objects.filter(status="pending").update(status="failed")
    for table in kept_there:
        assert sum(folded_and_pending(table)) == CommunicationLog.objects.count() == 365

    call_command("migrate", "communication", verbosity=0)
    write_rows(generator.rows(10))
    CommunicationLog.objects.filter(status="sent").update(created_at=BASE_TIME - timedelta(hours=5, minutes=10))
    for table in COUNTER_TABLES:
        assert sum(folded_and_pending(table)) == CommunicationLog.objects.count() == 375
    everything = CommunicationLog.objects.all()
    for filters in RANGES:
        expected = everything.filter(
            **{
                "created_at__gte": filters.get("created_after", BASE_TIME - timedelta(days=365)),
                "created_at__lt": filters.get("created_before", BASE_TIME + timedelta(days=1)),
            },
            **{f"{name}__in": filters[name] for name in ("channel", "status") if name in filters},
        ).count()
        assert count_logs(everything, filters) == expected, filters
