"""Reads from a real streaming replica (`tools/replica.sh`): rows written on the primary are read from the replica,
and when it stops or lags, reads fall back to the primary within five seconds and return when it recovers."""

import os
import subprocess
import time

import pytest
from django.conf import settings
from django.db import connections

from communication.audit.models import AuditEvent
from communication.models import CommunicationLog
from communication.replica import ReplicaRouter, replica_is_usable
from tests.conftest import LOGS_URL, REPLICA_CONFIGURED

pytestmark = [
    pytest.mark.replica,
    pytest.mark.skipif(
        not REPLICA_CONFIGURED and os.environ.get("COMMLOGS_REQUIRE_REPLICA") != "1",
        reason="REPLICA TESTS SKIPPED: no DATABASE_REPLICA_URL (`make test-replica` starts a replica)",
    ),
    pytest.mark.django_db(transaction=True, databases=["default", "replica"] if REPLICA_CONFIGURED else ["default"]),
]
REPLICA_SCRIPT = str(settings.BASE_DIR / "tools" / "replica.sh")


@pytest.fixture(autouse=True)
def replica(replica_of_the_test_database):
    """The replica of DATABASE_REPLICA_URL, running and replaying; skipped (or failed in CI) without one."""
    yield
    subprocess.run([REPLICA_SCRIPT, "start"], check=True, capture_output=True)
    replay(resumed=True)
    replica_is_usable.checked_at = None


def replay(*, resumed):
    """Pause or resume the replica's replay of the primary's changes."""
    for _ in range(50):
        try:
            with connections["replica"].cursor() as cursor:
                cursor.execute(f"SELECT pg_wal_replay_{'resume' if resumed else 'pause'}()")
            return
        except Exception:
            connections["replica"].close()
            time.sleep(0.2)


def eventually(condition, seconds=10):
    """Whether `condition()` comes true within `seconds`, asked every tenth of a second."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


def total(client):
    return client.get(LOGS_URL).json()["total"]


def replicated(count):
    def holds():
        try:
            return CommunicationLog.objects.using("replica").count() == count
        except Exception:
            connections["replica"].close()
            return False

    return holds


def test_a_row_written_on_the_primary_is_read_from_the_replica(reader_client, make_log):
    make_log()

    assert eventually(lambda: total(reader_client) == 1)


def test_reads_really_go_to_the_replica(reader_client, make_log):
    make_log()
    assert eventually(replicated(1))
    replay(resumed=False)
    make_log()

    served = total(reader_client)

    assert (served, CommunicationLog.objects.using("default").count()) == (1, 2)
    with connections["replica"].cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'commlogs'")
        assert cursor.fetchone()[0] >= 1


def test_a_stopped_replica_sends_reads_to_the_primary_within_five_seconds_and_back(reader_client, make_log, caplog):
    make_log()
    assert eventually(lambda: total(reader_client) == 1 and replica_is_usable.usable)
    subprocess.run([REPLICA_SCRIPT, "stop"], check=True, capture_output=True)
    make_log()

    stopped = time.monotonic()
    assert eventually(lambda: total(reader_client) == 2, seconds=5)
    assert time.monotonic() - stopped < 5
    assert "reads fall back to the primary: the replica cannot be reached" in caplog.text

    subprocess.run([REPLICA_SCRIPT, "start"], check=True, capture_output=True)
    assert eventually(replicated(2), seconds=20)
    replay(resumed=False)
    make_log()
    assert eventually(lambda: total(reader_client) == 2 and replica_is_usable.usable, seconds=10)
    assert "reads go to the replica" in caplog.text


def test_a_replica_that_lags_sends_reads_to_the_primary(reader_client, make_log, settings, caplog):
    settings.REPLICA_MAX_LAG_SECONDS = 1
    make_log()
    assert eventually(lambda: total(reader_client) == 1 and replica_is_usable.usable)
    replay(resumed=False)
    make_log()
    time.sleep(1.5)
    make_log()

    assert eventually(lambda: total(reader_client) == 3, seconds=5)
    assert "reads fall back to the primary: the replica lags" in caplog.text


def test_a_replica_that_vanishes_mid_request_is_answered_from_the_primary(reader_client, make_log, monkeypatch):
    make_log()
    assert eventually(lambda: total(reader_client) == 1 and replica_is_usable.usable)
    replay(resumed=False)
    make_log()
    on_primary = AuditEvent.objects.using("default")
    before = on_primary.count()
    # The replica stops after the request has chosen it, before its first read.
    chosen = ReplicaRouter.db_for_read

    def choose_then_stop(router, model, **hints):
        database = chosen(router, model, **hints)
        if model is CommunicationLog:
            subprocess.run([REPLICA_SCRIPT, "stop"], check=True, capture_output=True)
        return database

    monkeypatch.setattr(ReplicaRouter, "db_for_read", choose_then_stop)
    response = reader_client.get(LOGS_URL)

    assert (response.status_code, response.json()["total"]) == (200, 2)
    assert list(on_primary.order_by("id").values_list("status_code", flat=True)[before:]) == [200]
