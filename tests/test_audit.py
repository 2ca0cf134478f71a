"""The audit trail: every request to the logs API is recorded, allowed or denied, and reads fail closed."""

import pytest
from django.conf import settings
from django.contrib.auth.models import Permission
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from communication.api.throttling import LogsUserThrottle
from communication.audit.models import AuditEvent
from tests.conftest import AUDIT_ADMIN_URL, LOGS_URL

AUDITED_FIELDS = ["actor_id", "actor_username", "action", "status_code", "filters", "total", "client_ip", "user_agent"]


def audit_rows():
    return [{field: getattr(event, field) for field in AUDITED_FIELDS} for event in AuditEvent.objects.order_by("id")]


@pytest.fixture
def logs(make_log):
    return [make_log(recipient="13800138000"), make_log(recipient="alice@example.com", channel="email")]


def test_allowed_read_records_actor_status_filters_total_ip_and_user_agent(reader_client, staff_reader, logs):
    response = reader_client.get(
        LOGS_URL, {"channel": "sms", "recipient": "13800138000", "page_size": "5"}, HTTP_USER_AGENT="ops-console/2.1"
    )

    assert response.status_code == 200
    assert audit_rows() == [
        {
            "actor_id": staff_reader.pk,
            "actor_username": "reader",
            "action": "list",
            "status_code": 200,
            "filters": {"channel": "sms", "recipient": "138****8000", "page_size": "5"},
            "total": 1,
            "client_ip": "127.0.0.1",
            "user_agent": "ops-console/2.1",
        }
    ]


def test_every_audit_event_has_its_time(reader_client, logs):
    reader_client.get(LOGS_URL)

    assert AuditEvent.objects.get().created_at is not None


def test_email_recipient_filter_is_stored_masked(reader_client, logs):
    reader_client.get(LOGS_URL, {"recipient": "alice@example.com"})

    assert AuditEvent.objects.get().filters == {"recipient": "a***@example.com"}


def test_unauthenticated_request_is_recorded_without_actor(db, logs):
    response = APIClient().get(LOGS_URL, {"user_id": "usr_abc123"})

    assert response.status_code == 401
    assert audit_rows() == [
        {
            "actor_id": None,
            "actor_username": "",
            "action": "list",
            "status_code": 401,
            "filters": {"user_id": "usr_abc123"},
            "total": None,
            "client_ip": "127.0.0.1",
            "user_agent": "",
        }
    ]


def test_unknown_token_is_recorded_as_401_without_actor(db):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Bearer " + "0" * 40)

    client.get(LOGS_URL)

    assert [(event.actor_id, event.status_code) for event in AuditEvent.objects.all()] == [(None, 401)]


def test_staff_without_view_permission_is_recorded_as_403_with_actor(make_user, client_for):
    staff = make_user("nosy", staff=True)

    client_for(staff).get(LOGS_URL)

    assert [(event.actor_username, event.status_code, event.total) for event in AuditEvent.objects.all()] == [
        ("nosy", 403, None)
    ]


def test_bad_filter_is_recorded_as_400(reader_client):
    reader_client.get(LOGS_URL, {"channel": "fax"})

    assert [(event.status_code, event.filters) for event in AuditEvent.objects.all()] == [(400, {"channel": "fax"})]


def test_throttled_request_is_recorded_as_429(reader_client, logs, monkeypatch):
    monkeypatch.setattr(LogsUserThrottle, "THROTTLE_RATES", {"logs": "1/min"})
    reader_client.get(LOGS_URL)
    reader_client.get(LOGS_URL)

    assert [event.status_code for event in AuditEvent.objects.order_by("id")] == [200, 429]


def test_other_methods_are_recorded_too(reader_client):
    reader_client.post(LOGS_URL, {})

    assert [event.status_code for event in AuditEvent.objects.all()] == [405]


def test_repeated_channel_values_are_all_recorded(reader_client, logs):
    reader_client.get(f"{LOGS_URL}?channel=sms&channel=email")

    assert AuditEvent.objects.get().filters == {"channel": "sms,email"}


def test_control_characters_are_stored_replaced_not_refused(reader_client, logs):
    response = reader_client.get(LOGS_URL, {"provider": "ali\x00yun"}, HTTP_USER_AGENT="agent\x01x")

    assert response.status_code == 400
    event = AuditEvent.objects.get()
    assert (event.filters, event.user_agent) == ({"provider": "ali\ufffdyun"}, "agent\ufffdx")


def test_forwarded_for_is_ignored_without_trusted_proxies(reader_client, logs):
    reader_client.get(LOGS_URL, HTTP_X_FORWARDED_FOR="203.0.113.9")

    assert AuditEvent.objects.get().client_ip == "127.0.0.1"


@override_settings(REST_FRAMEWORK={**settings.REST_FRAMEWORK, "NUM_PROXIES": 1})
def test_client_ip_behind_one_trusted_proxy_is_the_forwarded_one(reader_client, logs):
    reader_client.get(LOGS_URL, HTTP_X_FORWARDED_FOR="203.0.113.9")
    reader_client.get(LOGS_URL, HTTP_X_FORWARDED_FOR="not-an-ip")

    assert [event.client_ip for event in AuditEvent.objects.order_by("id")] == ["203.0.113.9", None]


def test_read_that_cannot_be_audited_is_refused_with_503(reader_client, logs, audit_writes_fail):
    response = reader_client.get(LOGS_URL)

    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    body = response.json()
    assert body == {
        "code": 503,
        "message": "the read could not be recorded in the audit trail; retry later",
        "timestamp": body["timestamp"],
    }
    assert "138" not in response.content.decode()


def test_denied_request_that_cannot_be_audited_keeps_its_status(db, audit_writes_fail):
    response = APIClient().get(LOGS_URL)

    assert response.status_code == 401


def test_audit_retention_defaults_to_365_days():
    assert settings.AUDIT_RETENTION_DAYS == 365


def test_superuser_sees_the_audit_trail_in_the_admin_read_only(make_user, reader_client, logs):
    reader_client.get(LOGS_URL)
    admin = make_user("root", staff=True, superuser=True)
    client = APIClient()
    client.force_login(admin)
    event = AuditEvent.objects.get()

    listing = client.get(AUDIT_ADMIN_URL)
    detail = client.get(f"/admin/communication/auditevent/{event.pk}/change/")

    assert listing.status_code == 200
    assert "reader" in listing.content.decode()
    assert detail.status_code == 200
    assert 'name="_save"' not in detail.content.decode()
    assert client.get("/admin/communication/auditevent/add/").status_code == 403
    assert client.post(f"/admin/communication/auditevent/{event.pk}/delete/", {"post": "yes"}).status_code == 403
    assert list(AuditEvent.objects.order_by("id").values_list("action", flat=True)) == [
        "list",
        "audit_list",
        "audit_view",
    ]


def test_staff_with_audit_view_permission_sees_the_audit_trail(make_user):
    auditor = make_user("auditor", staff=True)
    auditor.user_permissions.add(Permission.objects.get(codename="view_auditevent"))
    client = APIClient()
    client.force_login(auditor)

    assert client.get(AUDIT_ADMIN_URL).status_code == 200


def test_staff_without_audit_view_permission_cannot_see_the_audit_trail(make_user):
    client = APIClient()
    client.force_login(make_user("clerk", staff=True))

    assert client.get(AUDIT_ADMIN_URL).status_code == 403


@pytest.fixture
def compliance_client(make_user):
    client = APIClient()
    client.force_login(make_user("compliance", staff=True, superuser=True))
    return client


@pytest.fixture
def events_of_two_readers(make_user, client_for, logs):
    """Reads by `reader` from 203.0.113.9, a refused one by `clerk`, and a read by `gone`, since deleted."""
    reader, clerk, gone = (
        make_user(name, staff=True, can_view_logs=name != "clerk") for name in ("reader", "clerk", "gone")
    )
    with override_settings(REST_FRAMEWORK={**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}):
        client_for(reader).get(LOGS_URL, HTTP_X_FORWARDED_FOR="203.0.113.9")
    client_for(reader).get(LOGS_URL)
    client_for(clerk).get(LOGS_URL)
    client_for(gone).get(LOGS_URL)
    gone.delete()


def listed_events(response):
    return [(event.actor_username, event.status_code) for event in response.context["cl"].result_list]


@pytest.mark.parametrize(
    ("search", "expected"),
    [
        ("reader", [("reader", 200), ("reader", 200)]),
        ("gone", [("gone", 200)]),
        ("203.0.113.9", [("reader", 200)]),
        ("nobody", []),
    ],
)
def test_the_audit_admin_searches_by_staff_member_or_client_ip(
    compliance_client, events_of_two_readers, search, expected
):
    response = compliance_client.get(AUDIT_ADMIN_URL, {"q": search})

    assert response.status_code == 200
    assert listed_events(response) == expected


@pytest.mark.parametrize(("outcome", "expected"), [("allowed", 3), ("refused", 1), ("failed", 0)])
def test_the_audit_admin_filters_by_outcome(compliance_client, events_of_two_readers, outcome, expected):
    response = compliance_client.get(AUDIT_ADMIN_URL, {"outcome": outcome})

    assert len(listed_events(response)) == expected


def test_the_audit_admin_never_reads_the_whole_trail_for_a_page(compliance_client, events_of_two_readers):
    with CaptureQueriesContext(connection) as queries:
        response = compliance_client.get(AUDIT_ADMIN_URL)

    assert response.status_code == 200
    statements = [query["sql"] for query in queries.captured_queries]
    assert not [sql for sql in statements if "DISTINCT" in sql]
    counts = [sql for sql in statements if "COUNT(" in sql]
    assert counts
    assert all("LIMIT 10001" in sql for sql in counts)
    assert "4 audit events" in response.content.decode()


def test_a_control_character_in_the_audit_search_is_a_bad_lookup_not_an_error(compliance_client):
    response = compliance_client.get(AUDIT_ADMIN_URL, {"q": "reader\x00"})

    assert response.status_code == 302
    assert response["Location"].endswith("?e=1")
