"""Management commands of the demo: seed_demo_logs and create_demo_admin."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from communication.masking import mask_recipient
from communication.models import CommunicationLog
from tests.conftest import LOGS_URL


def run(*args, **options):
    out = StringIO()
    call_command(*args, stdout=out, **options)
    return out.getvalue()


def test_seed_demo_logs_is_idempotent(db):
    assert "Created 300 demo logs" in run("seed_demo_logs")
    assert "Created 0 demo logs (300 already there)" in run("seed_demo_logs")
    assert CommunicationLog.objects.count() == 300


def test_seed_demo_logs_if_empty_leaves_a_filled_table_alone(make_log):
    make_log()
    assert "not seeding" in run("seed_demo_logs", "--if-empty")
    assert CommunicationLog.objects.count() == 1


def test_demo_logs_are_varied_and_consistent(db):
    run("seed_demo_logs")
    logs = CommunicationLog.objects.all()
    assert set(logs.values_list("channel", flat=True)) == {"sms", "email", "push"}
    assert set(logs.values_list("status", flat=True)) == {"pending", "sent", "failed", "delivered"}
    assert logs.values("tenant_id").distinct().count() >= 3
    assert logs.values("user_id").distinct().count() >= 10
    assert logs.values("provider").distinct().count() >= 5
    assert not logs.filter(status="failed", error="").exists()
    assert not logs.filter(status="pending", sent_at__isnull=False).exists()
    assert not logs.exclude(status="pending").filter(sent_at__isnull=True).exists()
    assert all("@" in log.recipient for log in logs.filter(channel="email"))
    assert all(mask_recipient(log.recipient) != log.recipient for log in logs)


def test_create_demo_admin_prints_a_token_that_works(db, settings):
    settings.DEBUG = True
    output = run("create_demo_admin")
    token = Token.objects.get(user__username="demo-admin").key
    assert "demo-admin" in output
    assert "commlogs-demo" in output
    assert f"Authorization: Bearer {token}" in output
    assert APIClient(HTTP_AUTHORIZATION=f"Bearer {token}").get(LOGS_URL).status_code == 200


def test_create_demo_admin_refuses_with_debug_off(db, settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="debug off"):
        run("create_demo_admin")


@pytest.mark.skipif(connection.vendor == "postgresql", reason="SQLite keeps one table")
def test_maintain_partitions_on_sqlite_says_only_postgresql_partitions(db):
    with pytest.raises(CommandError, match="only PostgreSQL partitions them"):
        call_command("maintain_partitions")
