"""Reads of logs in the Django admin are recorded in the audit trail as API reads are, and fail closed."""

from io import StringIO

import pytest
from django.contrib.auth.models import Permission
from django.core.management import call_command
from django.db import connection
from rest_framework.test import APIClient

from communication.audit.models import AuditEvent
from tests.conftest import ADMIN_LOGS_URL, AUDIT_ADMIN_URL, FULL_PHONE, LOGS_URL, MASKED_PHONE


def events():
    return list(AuditEvent.objects.order_by("id").values("actor_id", "action", "status_code", "filters", "total"))


@pytest.fixture
def logs(make_log):
    return [
        make_log(user_id="usr_alice", recipient=FULL_PHONE),
        make_log(user_id="usr_alice", recipient="alice@example.com", channel="email"),
        make_log(user_id="usr_bob", recipient="13900139000"),
    ]


def test_a_list_page_is_recorded_with_its_filters_page_and_count(admin_reader, staff_reader, logs):
    response = admin_reader.get(ADMIN_LOGS_URL, {"channel__exact": "sms", "p": "1"}, HTTP_USER_AGENT="Firefox/140")

    assert response.status_code == 200
    assert events() == [
        {
            "actor_id": staff_reader.pk,
            "action": "admin_list",
            "status_code": 200,
            "filters": {"channel__exact": "sms", "p": "1"},
            "total": 2,
        }
    ]
    assert AuditEvent.objects.get().user_agent == "Firefox/140"


def test_one_logs_page_is_recorded_with_the_log_and_whose_it_is(admin_reader, staff_reader, logs):
    response = admin_reader.get(f"{ADMIN_LOGS_URL}{logs[2].pk}/change/")

    assert response.status_code == 200
    assert events() == [
        {
            "actor_id": staff_reader.pk,
            "action": "admin_view",
            "status_code": 200,
            "filters": {"id": logs[2].pk, "user_id": "usr_bob"},
            "total": 1,
        }
    ]


def test_a_log_that_does_not_exist_is_recorded_as_showing_nothing(admin_reader, logs):
    response = admin_reader.get(f"{ADMIN_LOGS_URL}log_missing/change/")

    assert response.status_code == 302
    assert [(event["action"], event["filters"], event["total"]) for event in events()] == [
        ("admin_view", {"id": "log_missing"}, None)
    ]


def test_a_search_by_full_recipient_is_recorded_masked_on_both_requests(admin_reader, logs):
    response = admin_reader.get(ADMIN_LOGS_URL, {"q": FULL_PHONE}, follow=True)

    assert response.status_code == 200
    recorded = events()
    assert [(event["status_code"], event["filters"]["q"]) for event in recorded] == [
        (302, MASKED_PHONE),
        (200, f"recipient-of:{logs[0].pk}"),
    ]
    assert recorded[1]["total"] == 1
    assert not AuditEvent.objects.filter(filters__icontains=FULL_PHONE).exists()


def test_a_search_that_finds_a_users_logs_is_recorded_with_whose_they_are(admin_reader, logs):
    admin_reader.get(ADMIN_LOGS_URL, {"q": "usr_alice"})
    admin_reader.get(ADMIN_LOGS_URL, {"q": logs[2].pk})

    assert [(event["filters"], event["total"]) for event in events()] == [
        ({"q": "usr_alice", "user_id": "usr_alice"}, 2),
        ({"q": logs[2].pk}, 1),
    ]


def test_staff_without_the_view_permission_are_recorded_as_refused(client, make_user, logs):
    outsider = make_user("outsider", staff=True)
    client.force_login(outsider)

    response = client.get(ADMIN_LOGS_URL, {"q": FULL_PHONE})

    assert response.status_code == 403
    assert events() == [
        {
            "actor_id": outsider.pk,
            "action": "admin_list",
            "status_code": 403,
            "filters": {"q": MASKED_PHONE},
            "total": None,
        }
    ]


@pytest.fixture
def compliance(client, make_user):
    """A browser session of a compliance officer: staff who may read the audit trail, not the logs."""
    officer = make_user("compliance", staff=True)
    officer.user_permissions.add(Permission.objects.get(codename="view_auditevent"))
    client.force_login(officer)
    return client


def test_reading_the_audit_trail_is_recorded_with_its_filters_search_and_count(reads_of_alice_and_bob, compliance):
    query = {"q": "user:usr_alice", "action__exact": "list", "outcome": "allowed", "p": "1", "o": "1"}

    response = compliance.get(AUDIT_ADMIN_URL, query)

    assert response.status_code == 200
    assert events()[-1] == {
        "actor_id": response.wsgi_request.user.pk,
        "action": "audit_list",
        "status_code": 200,
        "filters": {"q": "user:usr_alice", "action__exact": "list", "outcome": "allowed", "p": "1"},
        "total": 1,
    }


@pytest.mark.parametrize(
    ("search", "stored"),
    [
        ("user:usr_bob", "user:usr_bob"),
        ("203.0.113.9", "203.0.113.9"),
        ("reader", "reader"),
        (FULL_PHONE, MASKED_PHONE),
        ("alice@example.com", "a***@example.com"),
    ],
    ids=["user reference", "client IP", "listed staff member", "phone number", "email address"],
)
def test_a_search_of_the_trail_is_kept_unless_it_may_be_a_recipient(reads_of_alice_and_bob, compliance, search, stored):
    compliance.get(AUDIT_ADMIN_URL, {"q": search})

    assert events()[-1]["filters"] == {"q": stored}


def test_searching_the_trail_for_a_user_is_not_itself_a_read_of_their_logs(reads_of_alice_and_bob, compliance):
    before = AuditEvent.objects.about_user("usr_alice").count()

    compliance.get(AUDIT_ADMIN_URL, {"q": "user:usr_alice"})

    assert AuditEvent.objects.about_user("usr_alice").count() == before


def test_one_audit_events_page_is_recorded_with_its_id(reads_of_alice_and_bob, compliance):
    event = AuditEvent.objects.first()

    response = compliance.get(f"{AUDIT_ADMIN_URL}{event.pk}/change/")

    assert response.status_code == 200
    assert events()[-1]["action"] == "audit_view"
    assert (events()[-1]["filters"], events()[-1]["total"]) == ({"id": str(event.pk)}, 1)


@pytest.mark.parametrize("event_id", ["abc", "9" * 30, "-1", "1\x00"])
def test_an_audit_event_that_cannot_exist_is_recorded_as_showing_nothing(compliance, event_id):
    response = compliance.get(f"{AUDIT_ADMIN_URL}{event_id}/change/")

    assert response.status_code == 302
    assert (events()[-1]["action"], events()[-1]["total"]) == ("audit_view", None)


def test_staff_without_the_audit_permission_are_recorded_as_refused_from_the_trail(admin_reader, staff_reader):
    response = admin_reader.get(AUDIT_ADMIN_URL)

    assert response.status_code == 403
    assert events() == [
        {"actor_id": staff_reader.pk, "action": "audit_list", "status_code": 403, "filters": {}, "total": None}
    ]


@pytest.mark.parametrize("page", ["list", "detail"])
def test_a_page_of_the_audit_trail_that_cannot_be_recorded_is_refused_with_503(
    reads_of_alice_and_bob, compliance, audit_writes_fail, page
):
    event = AuditEvent.objects.first()

    response = compliance.get(AUDIT_ADMIN_URL if page == "list" else f"{AUDIT_ADMIN_URL}{event.pk}/change/")

    assert response.status_code == 503
    assert "usr_alice" not in response.content.decode()


@pytest.mark.parametrize("page", ["list", "detail"])
def test_an_admin_page_that_cannot_be_audited_is_refused_with_503_and_shows_no_log(
    admin_reader, logs, audit_writes_fail, page
):
    response = admin_reader.get(ADMIN_LOGS_URL if page == "list" else f"{ADMIN_LOGS_URL}{logs[0].pk}/change/")

    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert response.json()["message"] == "the read could not be recorded in the audit trail; retry later"
    assert "usr_alice" not in response.content.decode()


def test_control_characters_in_an_admin_search_or_log_id_are_recorded_replaced(admin_reader, logs):
    admin_reader.get(ADMIN_LOGS_URL, {"q": "usr_\x00alice"})
    admin_reader.get(f"{ADMIN_LOGS_URL}log_\x00x/change/")

    assert [(event["status_code"], event["filters"]) for event in events()] == [
        (302, {"q": "****"}),
        (302, {"id": "log_\ufffdx"}),
    ]


@pytest.fixture
def reads_of_alice_and_bob(admin_reader, client_for, staff_reader, logs):
    """Alice's logs read through the API, an admin search and a log's page; Bob's and nobody's through the API."""
    api = client_for(staff_reader)
    api.get(LOGS_URL, {"user_id": "usr_alice"})
    api.get(LOGS_URL, {"user_id": "usr_bob"})
    api.get(LOGS_URL, {"channel": "sms"})
    admin_reader.get(ADMIN_LOGS_URL, {"q": "usr_alice"})
    admin_reader.get(f"{ADMIN_LOGS_URL}{logs[1].pk}/change/")
    APIClient().get(LOGS_URL, {"user_id": "usr_alice"})


def test_the_audit_trail_answers_who_read_one_users_logs(reads_of_alice_and_bob):
    about_alice = AuditEvent.objects.about_user("usr_alice").order_by("id")

    assert [(event.action, event.status_code, event.actor_username) for event in about_alice] == [
        ("list", 200, "reader"),
        ("admin_list", 200, "reader"),
        ("admin_view", 200, "reader"),
        ("list", 401, ""),
    ]
    assert AuditEvent.objects.about_user("usr_bob").count() == 1
    assert not AuditEvent.objects.about_user("usr_carol").exists()


def test_whose_logs_also_finds_their_erasure_which_keeps_only_a_digest(reads_of_alice_and_bob, staff_reader):
    call_command("erase_user_logs", "usr_alice", "--actor", "reader", stdout=StringIO())

    erasure = AuditEvent.objects.about_user("usr_alice").get(action="erase")

    assert (erasure.actor_username, erasure.total) == ("reader", 2)
    assert "usr_alice" not in str(erasure.filters)
    assert not AuditEvent.objects.about_user("usr_bob").filter(action="erase").exists()


def test_the_audit_admin_searches_by_whose_logs_were_read(reads_of_alice_and_bob, client, make_user):
    client.force_login(make_user("compliance", staff=True, superuser=True))

    response = client.get(AUDIT_ADMIN_URL, {"q": "user:usr_alice"})

    assert response.status_code == 200
    assert sorted(event.action for event in response.context["cl"].result_list) == [
        "admin_list",
        "admin_view",
        "list",
        "list",
    ]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL")
def test_who_read_one_users_logs_is_found_through_its_index(reads_of_alice_and_bob):
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        plan = AuditEvent.objects.about_user("usr_alice").order_by("-created_at").explain()

    index_conditions = [line for line in plan.splitlines() if "Index Cond" in line]
    assert "Seq Scan" not in plan
    assert any("filters -> 'user_id'" in line for line in index_conditions)
    assert any("filters -> 'user_ref'" in line for line in index_conditions)


def test_a_logs_history_page_is_recorded_as_a_view_of_that_log(admin_reader, staff_reader, logs):
    response = admin_reader.get(f"{ADMIN_LOGS_URL}{logs[2].pk}/history/")

    assert response.status_code == 200
    assert events() == [
        {
            "actor_id": staff_reader.pk,
            "action": "admin_view",
            "status_code": 200,
            "filters": {"id": logs[2].pk, "user_id": "usr_bob", "view": "history"},
            "total": 1,
        }
    ]


def test_a_history_page_that_cannot_be_audited_is_refused_with_503(admin_reader, logs, audit_writes_fail):
    response = admin_reader.get(f"{ADMIN_LOGS_URL}{logs[0].pk}/history/")

    assert (response.status_code, response["Retry-After"]) == (503, "5")
    assert "usr_alice" not in response.content.decode()


def test_an_audit_events_history_page_is_recorded_too(reads_of_alice_and_bob, make_user):
    event = AuditEvent.objects.earliest("id")
    officer = APIClient()
    officer.force_login(make_user("officer", staff=True, superuser=True))

    response = officer.get(f"{AUDIT_ADMIN_URL}{event.pk}/history/")

    assert response.status_code == 200
    latest = AuditEvent.objects.latest("id")
    assert (latest.action, latest.filters) == ("audit_view", {"id": str(event.pk), "view": "history"})
