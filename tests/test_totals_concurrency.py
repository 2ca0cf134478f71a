"""Under concurrent writers (inserts, COPY, status, channel and day changes, deletes) the totals stay exact."""

import random
import threading
from datetime import timedelta

import pytest
from django.db import DatabaseError, connections

from communication import counters
from communication.counts import count_logs
from communication.models import CONTRACT_FIELDS, Channel, CommunicationLog, Status
from communication.seeding import PROVIDERS, TENANTS, LogGenerator, write_rows
from tests.conftest import BASE_TIME, postgres_only

pytestmark = [
    pytest.mark.postgres,
    postgres_only,
    pytest.mark.django_db(transaction=True),
]

WRITERS = 4
OPERATIONS_PER_WRITER = 120


def random_rows_query(rng):
    """A few rows from a random place in the id space."""
    start = f"log_{rng.getrandbits(80):020x}"
    return (
        CommunicationLog.objects.filter(id__gt=start).order_by("id").values_list("id", flat=True)[: rng.randint(1, 15)]
    )


def write_concurrently(number, failures):
    rng = random.Random(number)
    generator = LogGenerator(seed=number, users=50, now=BASE_TIME, days=5)
    try:
        for _ in range(OPERATIONS_PER_WRITER):
            operation = rng.choice(["copy", "bulk_create", "create", "status", "channel", "tenant", "day", "delete"])
            try:
                if operation == "copy":
                    write_rows(generator.rows(rng.randint(1, 40)))
                elif operation == "bulk_create":
                    CommunicationLog.objects.bulk_create(
                        [CommunicationLog(**dict(zip(CONTRACT_FIELDS, row, strict=True))) for row in generator.rows(5)]
                    )
                elif operation == "create":
                    CommunicationLog.objects.create(**dict(zip(CONTRACT_FIELDS, generator.rows(1)[0], strict=True)))
                elif operation == "status":
                    ids = list(random_rows_query(rng))
                    CommunicationLog.objects.filter(id__in=ids).update(status=rng.choice(Status.values))
                elif operation == "channel":
                    ids = list(random_rows_query(rng))
                    CommunicationLog.objects.filter(id__in=ids).update(channel=rng.choice(Channel.values))
                elif operation == "tenant":
                    ids = list(random_rows_query(rng))
                    CommunicationLog.objects.filter(id__in=ids).update(
                        tenant_id=rng.choice(TENANTS), provider=rng.choice(PROVIDERS[Channel.SMS])
                    )
                elif operation == "day":
                    ids = list(random_rows_query(rng))
                    CommunicationLog.objects.filter(id__in=ids).update(
                        created_at=BASE_TIME - timedelta(minutes=rng.randint(0, 5 * 24 * 60))
                    )
                else:
                    CommunicationLog.objects.filter(id__in=list(random_rows_query(rng))).delete()
            except DatabaseError:
                # A deadlock between two writers rolls one statement back, with its counter deltas.
                continue
    except Exception as error:
        # Reported to the test thread, which fails on it.
        failures.append(error)
    finally:
        connections.close_all()


def read_concurrently(stop, failures):
    try:
        while not stop.is_set():
            count_logs(CommunicationLog.objects.all())
    except Exception as error:
        # Reported to the test thread, which fails on it.
        failures.append(error)
    finally:
        connections.close_all()


DATE_LOOKUPS = {"created_after": "created_at__gte", "created_before": "created_at__lt"}


def as_lookup(item):
    name, value = item
    return (f"{name}__in", value) if isinstance(value, list) else (DATE_LOOKUPS.get(name, name), value)


def test_totals_match_count_after_concurrent_writers(monkeypatch):
    # Roll up on almost every read, so rollups race with the writers too.
    monkeypatch.setattr(counters, "ROLLUP_AFTER_ROWS", 5)
    write_rows(LogGenerator(seed=99, users=50, now=BASE_TIME, days=5).rows(2_000))
    failures = []
    stop = threading.Event()
    reader = threading.Thread(target=read_concurrently, args=(stop, failures))
    writers = [threading.Thread(target=write_concurrently, args=(number, failures)) for number in range(WRITERS)]
    reader.start()
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join()
    stop.set()
    reader.join()
    assert failures == []

    everything = CommunicationLog.objects.all()
    shapes = [{"channel": [channel], "status": [status]} for channel in Channel.values for status in Status.values]
    shapes += [{"channel": [], "status": []}, {"channel": ["sms", "push"], "status": ["failed", "delivered"]}]
    shapes += [{"tenant_id": tenant, "status": ["failed"]} for tenant in TENANTS]
    shapes += [{"provider": provider, "channel": ["sms"]} for provider in PROVIDERS[Channel.SMS]]
    shapes += [{"template_id": "tpl_login_code", "tenant_id": TENANTS[0]}]
    shapes += [
        {"created_after": BASE_TIME - timedelta(days=3, hours=5), "channel": ["sms"], "status": []},
        {"created_before": BASE_TIME - timedelta(days=1), "channel": [], "status": ["failed", "pending"]},
        {"created_after": BASE_TIME - timedelta(days=4, minutes=7), "created_before": BASE_TIME, "status": []},
    ]
    narrowed = {
        str(shape): everything.filter(**{name: value for name, value in map(as_lookup, shape.items()) if value})
        for shape in shapes
    }
    counted = {shape: count_logs(logs) for shape, logs in narrowed.items()}
    actual = {shape: logs.count() for shape, logs in narrowed.items()}
    assert counted == actual
    assert counted[str({"channel": [], "status": []})] > 2_000
