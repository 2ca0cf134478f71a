"""The 200 response: exactly the contract's envelope, item keys, strings, times and order."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from communication.models import CommunicationLog
from tests.conftest import ITEM_KEYS, LOGS_URL, item_ids

pytestmark = pytest.mark.contract


def contract_time(moment):
    """CONTRACT.md's time format written out here, so the tests do not trust the code's."""
    if moment is None:
        return ""
    utc = moment.astimezone(UTC)
    return f"{utc.year:04d}-{utc.month:02d}-{utc.day:02d}T{utc.hour:02d}:{utc.minute:02d}:{utc.second:02d}Z"


def test_single_log_is_returned_in_the_contract_envelope(reader_client, make_log):
    log = make_log(id="log_8f3a2c91d04b7e65a1f0", minutes_ago=0)
    body = reader_client.get(LOGS_URL).json()
    assert body == {
        "code": 0,
        "message": "success",
        "timestamp": body["timestamp"],
        "items": [
            {
                "id": log.id,
                "tenant_id": "tnt_xyz789",
                "user_id": "usr_abc123",
                "channel": "sms",
                "provider": "aliyun",
                "template_id": "tpl_abc123",
                "recipient": "138****8000",
                "content": "Your verification code is 123456",
                "status": "delivered",
                "error": "",
                "response": '{"BizId":"900619746936498440^0"}',
                "sent_at": "2026-04-15T10:01:00Z",
                "created_at": "2026-04-15T10:00:00Z",
                "updated_at": "2026-04-15T10:01:03Z",
            }
        ],
        "total": 1,
        "pagination": {"page": 1, "page_size": 20, "total": 1, "total_pages": 1, "has_next": False, "has_prev": False},
    }


def test_response_timestamp_is_the_servers_time_in_utc_whole_seconds(reader_client, db):
    before = timezone.now().replace(microsecond=0)
    stamp = reader_client.get(LOGS_URL).json()["timestamp"]
    assert stamp.endswith("Z")
    assert len(stamp) == len("2026-04-15T10:00:05Z")
    parsed = timezone.datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    assert before <= parsed <= timezone.now() + timedelta(seconds=1)


def test_empty_table_gives_zero_total_and_zero_pages(reader_client, db):
    body = reader_client.get(LOGS_URL).json()
    assert body["items"] == []
    assert body["total"] == 0
    assert body["pagination"] == {
        "page": 1,
        "page_size": 20,
        "total": 0,
        "total_pages": 0,
        "has_next": False,
        "has_prev": False,
    }


def test_pending_log_has_empty_sent_at_and_error_not_null(reader_client, make_log):
    make_log(status="pending", sent_at=None, error="", response="")
    item = reader_client.get(LOGS_URL).json()["items"][0]
    assert item["sent_at"] == ""
    assert item["error"] == ""
    assert item["response"] == ""
    assert set(item) == set(ITEM_KEYS)
    assert all(isinstance(value, str) for value in item.values())


def test_failed_log_carries_its_error(reader_client, make_log):
    make_log(status="failed", error="Send timeout")
    assert reader_client.get(LOGS_URL).json()["items"][0]["error"] == "Send timeout"


def test_times_are_converted_to_utc_and_cut_to_whole_seconds(reader_client, make_log):
    from datetime import timezone as dt_timezone

    shanghai = dt_timezone(timedelta(hours=8))
    make_log(created_at=datetime(2026, 4, 15, 18, 0, 0, 987654, tzinfo=shanghai))
    assert reader_client.get(LOGS_URL).json()["items"][0]["created_at"] == "2026-04-15T10:00:00Z"


def test_a_year_before_1000_keeps_four_digits(reader_client, make_log):
    make_log(created_at=datetime(5, 1, 2, 3, 4, 5, tzinfo=UTC))
    assert reader_client.get(LOGS_URL).json()["items"][0]["created_at"] == "0005-01-02T03:04:05Z"


def test_times_are_the_stored_times_on_pages_read_from_either_end(reader_client, make_log):
    """Pages 1 and 2 of 3 are read forwards, page 3 backwards."""
    edges = [
        datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
        datetime(1, 1, 1, 0, 0, 0, tzinfo=UTC),
        datetime(2024, 2, 29, 23, 59, 59, 500000, tzinfo=UTC),
        datetime(2026, 4, 15, 10, 0, 0, 1, tzinfo=UTC),
        None,
    ]
    for number, edge in enumerate(edges):
        created_at = datetime(2026, 4, 15, 9, 59 - number, 59, 999999, tzinfo=UTC)
        make_log(created_at=created_at, sent_at=edge, updated_at=edge or created_at)
    stored = {log.id: log for log in CommunicationLog.objects.all()}
    items = [
        item
        for page in (1, 2, 3)
        for item in reader_client.get(LOGS_URL, {"page": page, "page_size": 2}).json()["items"]
    ]
    assert len(items) == len(edges)
    for item in items:
        log = stored[item["id"]]
        assert [item["sent_at"], item["created_at"], item["updated_at"]] == [
            contract_time(log.sent_at),
            contract_time(log.created_at),
            contract_time(log.updated_at),
        ]
    assert items[0]["sent_at"] == "9999-12-31T23:59:59Z"


@pytest.mark.parametrize("column", ["sent_at", "created_at", "updated_at"])
@pytest.mark.parametrize(
    "moment", ["infinity", "-infinity", "0044-03-15 00:00Z BC"], ids=["infinity", "-infinity", "BC"]
)
def test_a_time_python_cannot_read_cannot_be_stored_even_by_sql(reader_client, make_log, column, moment):
    if connection.vendor != "postgresql" and moment != "infinity":
        pytest.skip("SQLite stores no BC times")
    log = make_log()
    refused = pytest.raises(IntegrityError)
    with refused, transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"UPDATE {CommunicationLog._meta.db_table} SET {column} = %s WHERE id = %s", [moment, log.id])

    assert reader_client.get(LOGS_URL).status_code == 200


def test_items_are_newest_first_then_id_descending(reader_client, make_log):
    same_minute = [make_log(id=f"log_{suffix}", minutes_ago=5) for suffix in ("aaa", "ccc", "bbb")]
    newest = make_log(id="log_000", minutes_ago=1)
    oldest = make_log(id="log_zzz", minutes_ago=9)
    assert item_ids(reader_client.get(LOGS_URL)) == [newest.id, "log_ccc", "log_bbb", "log_aaa", oldest.id]
    assert len(same_minute) == 3


def test_paging_through_ties_never_repeats_or_skips_a_row(reader_client, make_log):
    created = {make_log(id=f"log_{number:03d}", minutes_ago=number % 3).id for number in range(25)}
    seen = []
    for page in (1, 2, 3, 4, 5, 6, 7):
        seen += item_ids(reader_client.get(LOGS_URL, {"page": page, "page_size": 4}))
    assert len(seen) == len(set(seen)) == 25
    assert set(seen) == created


@pytest.mark.parametrize("path", [LOGS_URL, LOGS_URL + "/"])
def test_route_answers_with_and_without_trailing_slash_without_redirect(reader_client, make_log, path):
    make_log()
    response = reader_client.get(path)
    assert response.status_code == 200
    assert response.json()["total"] == 1


def test_head_answers_200_without_a_body(reader_client, make_log):
    make_log()
    response = reader_client.head(LOGS_URL)
    assert response.status_code == 200
    assert response.content == b""


def test_options_describes_the_endpoint(reader_client, db):
    response = reader_client.options(LOGS_URL)
    assert response.status_code == 200
    assert "GET" in response["Allow"]


def test_json_is_the_default_for_clients_that_accept_anything(reader_client, make_log):
    make_log()
    response = reader_client.get(LOGS_URL, HTTP_ACCEPT="*/*")
    assert response["Content-Type"] == "application/json"


def test_upstream_ids_are_returned_as_stored(reader_client, make_log):
    make_log(id="log_custom", user_id="usr_ü✓", tenant_id="tnt_q", template_id="tpl_z")
    item = reader_client.get(LOGS_URL).json()["items"][0]
    assert (item["id"], item["user_id"], item["tenant_id"], item["template_id"]) == (
        "log_custom",
        "usr_ü✓",
        "tnt_q",
        "tpl_z",
    )
