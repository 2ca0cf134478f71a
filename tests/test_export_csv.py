"""`GET /admin/communication/logs/export.csv`: the list's filters and permission, masked rows, a row cap."""

import csv
import io

import pytest
from django.core.management import call_command

from communication.api import exports
from communication.api.exports import spreadsheet_safe
from communication.audit.models import AuditEvent
from tests.conftest import EXPORT_URL, ITEM_KEYS, LOGS_URL

pytestmark = pytest.mark.contract


def body_text(response):
    return b"".join(response.streaming_content).decode("utf-8")


def csv_rows(response):
    """The CSV as a list of rows, header first, after checking the UTF-8 byte-order mark."""
    text = body_text(response)
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:], newline="")))


def without_timestamp(envelope):
    assert envelope.pop("timestamp").endswith("Z")
    return envelope


def test_export_is_a_utf8_csv_attachment_with_a_header_row_and_masked_recipients(make_log, reader_client):
    make_log(id="log_2", channel="email", recipient="alice@example.com", content="Grüße, 你好")
    make_log(id="log_1", status="pending", sent_at=None, error="", response="")

    response = reader_client.get(EXPORT_URL)

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="communication-logs-')
    assert response["Content-Disposition"].endswith('Z.csv"')
    assert csv_rows(response) == [
        ITEM_KEYS,
        [
            "log_2",
            "tnt_xyz789",
            "usr_abc123",
            "email",
            "aliyun",
            "tpl_abc123",
            "a***@example.com",
            "Grüße, 你好",
            "delivered",
            "",
            '{"BizId":"900619746936498440^0"}',
            "2026-04-15T10:00:00Z",
            "2026-04-15T09:59:00Z",
            "2026-04-15T10:00:03Z",
        ],
        [
            "log_1",
            "tnt_xyz789",
            "usr_abc123",
            "sms",
            "aliyun",
            "tpl_abc123",
            "138****8000",
            "Your verification code is 123456",
            "pending",
            "",
            "",
            "",
            "2026-04-15T09:58:00Z",
            "2026-04-15T09:59:03Z",
        ],
    ]


def test_export_rows_are_the_api_items_in_the_same_order_and_masking(make_log, reader_client):
    make_log(recipient="+86 138-0013-8000")
    make_log(channel="push", recipient="fcm:d9YxAbCdEfQm2")
    make_log(channel="email", recipient="bob@example.org", status="failed", error="Send timeout")
    make_log(recipient="10086")

    items = reader_client.get(LOGS_URL, {"page_size": 100}).json()["items"]
    rows = csv_rows(reader_client.get(EXPORT_URL))

    assert rows[1:] == [[spreadsheet_safe(item[key]) for key in ITEM_KEYS] for item in items]
    assert [row[6] for row in rows[1:]] == ["'+86****8000", "fcm:****fQm2", "b***@example.org", "****"]


def test_export_takes_the_same_filters_as_the_list(make_log, reader_client):
    make_log(id="log_sms_delivered")
    make_log(id="log_email", channel="email", recipient="alice@example.com")
    make_log(id="log_sms_failed", status="failed")
    make_log(id="log_other_user", user_id="usr_other")
    params = {"channel": "sms", "status": "delivered,failed", "user_id": "usr_abc123", "recipient": "13800138000"}

    rows = csv_rows(reader_client.get(EXPORT_URL, params))

    assert [row[0] for row in rows[1:]] == ["log_sms_delivered", "log_sms_failed"]
    assert [row[0] for row in rows[1:]] == [item["id"] for item in reader_client.get(LOGS_URL, params).json()["items"]]


def test_export_of_nothing_is_the_header_row_alone(db, reader_client):
    assert csv_rows(reader_client.get(EXPORT_URL, {"channel": "push"})) == [ITEM_KEYS]


def test_export_streams_every_row_across_chunks(make_log, reader_client, monkeypatch):
    monkeypatch.setattr(exports, "CHUNK_ROWS", 2)
    for number in range(5):
        make_log(id=f"log_{number}")

    response = reader_client.get(EXPORT_URL)

    assert len(list(response.streaming_content)) == 3
    assert [row[0] for row in csv_rows(reader_client.get(EXPORT_URL))[1:]] == [f"log_{n}" for n in range(5)]


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"channel": "fax"}, "channel: must be one of sms, email, push"),
        ({"status": "lost"}, "status: must be one of pending, sent, failed, delivered"),
        ({"user_id": "u" * 65}, "user_id: must be at most 64 characters"),
        ({"tenant_id": "tnt\x01"}, "tenant_id: must not contain control characters"),
        (
            {"created_after": "yesterday"},
            "created_after: must be an RFC 3339 time (2026-04-15T10:00:00Z) or a date (2026-04-15)",
        ),
        ({"format": "csv"}, "format: must be one of json"),
    ],
)
def test_export_with_a_bad_filter_is_a_400_envelope_naming_it(db, reader_client, params, message):
    response = reader_client.get(EXPORT_URL, params)

    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert without_timestamp(response.json()) == {"code": 400, "message": message}


def test_export_over_the_row_cap_is_a_400_asking_to_narrow_the_filters(make_log, reader_client, settings):
    settings.EXPORT_MAX_ROWS = 2
    for _ in range(3):
        make_log()

    response = reader_client.get(EXPORT_URL)

    assert response.status_code == 400
    assert without_timestamp(response.json()) == {
        "code": 400,
        "message": "3 logs match, more than the export cap of 2; narrow the filters",
    }
    assert csv_rows(reader_client.get(EXPORT_URL, {"status": "failed"})) == [ITEM_KEYS]


def test_export_of_exactly_the_row_cap_is_allowed(make_log, reader_client, settings):
    settings.EXPORT_MAX_ROWS = 2
    make_log()
    make_log()

    assert len(csv_rows(reader_client.get(EXPORT_URL))) == 3


def test_export_without_credentials_is_401_with_bearer_challenge(db, client_for):
    response = client_for(None).get(EXPORT_URL)

    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert without_timestamp(response.json()) == {
        "code": 401,
        "message": "Authentication credentials were not provided.",
    }


@pytest.mark.parametrize(
    ("kind", "message"),
    [
        ({}, "You do not have permission to perform this action."),
        ({"staff": True}, "You need the communication.view_communicationlog permission to read communication logs."),
    ],
)
def test_export_by_non_staff_or_staff_without_view_permission_is_403(make_user, client_for, kind, message):
    response = client_for(make_user("someone", **kind)).get(EXPORT_URL)

    assert response.status_code == 403
    assert without_timestamp(response.json()) == {"code": 403, "message": message}


def test_export_by_a_superuser_is_allowed(make_user, client_for, make_log):
    make_log()
    response = client_for(make_user("root", staff=True, superuser=True)).get(EXPORT_URL)

    assert response.status_code == 200
    assert len(csv_rows(response)) == 2


def test_export_with_post_is_405_envelope(db, reader_client):
    response = reader_client.post(EXPORT_URL)

    assert response.status_code == 405
    assert without_timestamp(response.json()) == {"code": 405, "message": 'Method "POST" not allowed.'}


def test_export_is_audited_as_an_export_with_masked_filters_and_row_count(make_log, reader_client, staff_reader):
    make_log()
    make_log()

    reader_client.get(EXPORT_URL, {"recipient": "13800138000", "channel": "sms"}, HTTP_USER_AGENT="sheets/1.0")

    assert list(
        AuditEvent.objects.values(
            "actor_id", "actor_username", "action", "status_code", "filters", "total", "client_ip", "user_agent"
        )
    ) == [
        {
            "actor_id": staff_reader.pk,
            "actor_username": "reader",
            "action": "export",
            "status_code": 200,
            "filters": {"channel": "sms", "recipient": "138****8000"},
            "total": 2,
            "client_ip": "127.0.0.1",
            "user_agent": "sheets/1.0",
        }
    ]


def test_export_neutralises_cells_a_spreadsheet_would_run_as_formulas(make_log, reader_client):
    make_log(content='=HYPERLINK("http://evil.example","click")', error="@SUM(A1)", recipient="+8613800138000")

    row = csv_rows(reader_client.get(EXPORT_URL))[1]

    assert (row[6], row[7], row[9]) == ("'+86****8000", '\'=HYPERLINK("http://evil.example","click")', "'@SUM(A1)")


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("=1+1", "'=1+1"),
        ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
        ("-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tTAB", "'\tTAB"),
        ("\r=1+1", "'\r=1+1"),
        ("\n=1+1", "'\n=1+1"),
        ("-2+3", "'-2+3"),
        ("+86****8000", "'+86****8000"),
        ("-42", "'-42"),
        ("  =1+1", "'  =1+1"),
        ("\uff1d1+1", "'\uff1d1+1"),
        ("\u00a0=1+1", "'\u00a0=1+1"),
        ("\u2003=1+1", "'\u2003=1+1"),
        ("\u3000=1+1", "'\u3000=1+1"),
        ("\u200b=1+1", "'\u200b=1+1"),
        ("\ufeff=1+1", "'\ufeff=1+1"),
        ("\x0b=1+1", "'\x0b=1+1"),
        ("\x85=1+1", "'\x85=1+1"),
        ("\u2028=1+1", "'\u2028=1+1"),
        ("\ufe661+1", "'\ufe661+1"),
        ("\u22121+1", "'\u22121+1"),
        ("plain text = fine", "plain text = fine"),
        ("", ""),
    ],
)
def test_spreadsheet_safe_quotes_every_cell_that_could_start_a_formula(value, shown):
    assert spreadsheet_safe(value) == shown


def test_export_route_is_matched_before_the_catch_all_404(db, reader_client):
    assert reader_client.get(EXPORT_URL).status_code == 200
    assert reader_client.get("/admin/communication/logs/export.json").status_code == 404


def test_export_is_documented_in_the_openapi_schema(db, reader_client):
    schema = reader_client.get("/api/schema/", {"format": "json"}).json()
    operation = schema["paths"]["/admin/communication/logs/export.csv"]["get"]

    assert operation["operationId"] == "communication_logs_export_csv"
    assert sorted(parameter["name"] for parameter in operation["parameters"]) == sorted(
        [
            "channel",
            "created_after",
            "created_before",
            "provider",
            "recipient",
            "status",
            "template_id",
            "tenant_id",
            "user_id",
        ]
    )
    assert operation["responses"]["200"]["content"] == {"text/csv": {"schema": {"type": "string"}}}
    assert sorted(operation["responses"]) == ["200", "400", "401", "403", "405", "429", "500", "503"]
    assert operation["responses"]["400"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/SimpleResponse"
    }


def test_head_of_the_export_checks_the_cap_without_sending_rows(make_log, reader_client, settings):
    settings.EXPORT_MAX_ROWS = 1
    make_log()

    assert reader_client.head(EXPORT_URL).status_code == 200
    make_log()
    response = reader_client.head(EXPORT_URL)
    assert response.status_code == 400
    assert response.content == b""


def test_export_schema_generates_without_errors_or_warnings_of_its_own(db, capsys, tmp_path):
    call_command("spectacular", "--validate", "--file", str(tmp_path / "schema.yaml"))

    problems = capsys.readouterr().err
    assert "CommunicationLogExportView" not in problems
    assert "export" not in problems


def test_refused_export_is_audited_without_a_row_count(make_log, reader_client, settings):
    settings.EXPORT_MAX_ROWS = 1
    make_log()
    make_log()

    reader_client.get(EXPORT_URL, {"channel": "sms"})

    assert list(AuditEvent.objects.values("action", "status_code", "filters", "total")) == [
        {"action": "export", "status_code": 400, "filters": {"channel": "sms"}, "total": None}
    ]
