"""The audit trail is append-only in PostgreSQL itself; only the retention purge deletes, and deleting a staff
user leaves who acted as it was."""

import pytest
from django.db import DatabaseError, connection, transaction

from communication.audit.models import AuditEvent
from tests.conftest import LOGS_URL, postgres_only

TABLE = AuditEvent._meta.db_table


@pytest.fixture
def recorded_read(reader_client, make_log):
    make_log()
    reader_client.get(LOGS_URL)
    return AuditEvent.objects.get()


@postgres_only
@pytest.mark.parametrize(
    "statement",
    [f"UPDATE {TABLE} SET status_code = 500", f"DELETE FROM {TABLE}", f"UPDATE {TABLE} SET actor_id = NULL"],
)
def test_sql_that_changes_or_deletes_an_audit_event_is_refused_by_the_database(recorded_read, statement):
    refused = pytest.raises(DatabaseError, match="Cannot update or delete")
    with refused, transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement)

    assert AuditEvent.objects.get().status_code == 200


@postgres_only
def test_the_orm_cannot_change_or_delete_an_audit_event_either(recorded_read):
    recorded_read.status_code = 500
    with pytest.raises(DatabaseError), transaction.atomic():
        recorded_read.save()
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.all().delete()

    assert AuditEvent.objects.values_list("status_code", flat=True).get() == 200


def test_deleting_a_staff_user_keeps_who_acted_in_their_events(recorded_read, staff_reader):
    reader_id = staff_reader.pk

    staff_reader.delete()

    assert AuditEvent.objects.values_list("actor_id", "actor_username").get() == (reader_id, "reader")


@postgres_only
def test_the_audit_trail_cannot_be_truncated(recorded_read):
    with pytest.raises(DatabaseError, match="Cannot truncate"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {TABLE}")

    assert AuditEvent.objects.count() == 1
