"""Every login attempt, at the token endpoint and at the admin's form, every logout and every password change
in the admin are in the audit trail."""

import pytest
from rest_framework.test import APIClient

from communication.audit.models import AuditEvent
from tests.conftest import ADMIN_LOGIN_URL, TOKEN_URL

PASSWORD = "correct-horse-battery"


def logins(action="login"):
    return list(
        AuditEvent.objects.filter(action=action)
        .order_by("id")
        .values_list("actor_username", "status_code", "filters", "total", "client_ip")
    )


def token_login(username, password, **extra):
    return APIClient().post(TOKEN_URL, {"username": username, "password": password}, format="json", **extra)


def admin_login(client, username, password, **extra):
    return client.post(ADMIN_LOGIN_URL, {"username": username, "password": password}, **extra)


def test_a_token_login_is_recorded_with_who_from_where_and_with_what(staff_reader):
    response = token_login("reader", PASSWORD, REMOTE_ADDR="198.51.100.7", HTTP_USER_AGENT="support-console/2")

    assert response.status_code == 200
    assert logins() == [("reader", 200, {"via": "token"}, None, "198.51.100.7")]
    event = AuditEvent.objects.get(action="login")
    assert (event.actor_id, event.user_agent) == (staff_reader.pk, "support-console/2")


def test_a_wrong_password_is_recorded_as_refused_against_the_account_it_tried(staff_reader):
    response = token_login("reader", "guess")

    assert response.status_code == 400
    assert logins() == [("reader", 400, {"via": "token"}, None, "127.0.0.1")]
    assert AuditEvent.objects.get(action="login").actor_id == staff_reader.pk


def test_an_unknown_username_is_recorded_without_keeping_what_was_typed(db):
    response = token_login("my-secret-passw0rd", "guess")

    assert response.status_code == 400
    assert logins() == [("", 400, {"via": "token"}, None, "127.0.0.1")]
    assert AuditEvent.objects.get(action="login").actor_id is None


@pytest.mark.parametrize("username", ["read\x00er", "\x85", "", "x" * 10_000])
def test_a_username_no_account_can_have_is_recorded_as_refused_not_an_error(db, username):
    response = token_login(username, "guess")

    assert response.status_code == 400
    assert logins() == [("", 400, {"via": "token"}, None, "127.0.0.1")]


def test_a_locked_out_token_login_is_recorded_as_429(staff_reader, settings):
    settings.AXES_FAILURE_LIMIT = 3
    for _ in range(2):
        token_login("reader", "guess")

    responses = [token_login("reader", "guess"), token_login("reader", PASSWORD)]

    assert [response.status_code for response in responses] == [429, 429]
    assert [status for _, status, *_ in logins()] == [400, 400, 429, 429]


def test_an_admin_login_is_recorded_as_let_in(client, staff_reader):
    response = admin_login(client, "reader", PASSWORD)

    assert response.status_code == 302
    assert logins() == [("reader", 200, {"via": "admin"}, None, "127.0.0.1")]


@pytest.mark.parametrize(
    ("username", "password", "recorded_as"),
    [("reader", "guess", "reader"), ("nobody", PASSWORD, ""), ("clerk", PASSWORD, "clerk")],
    ids=["wrong password", "unknown user", "not staff"],
)
def test_a_refused_admin_login_is_recorded_as_400(client, staff_reader, make_user, username, password, recorded_as):
    make_user("clerk")

    response = admin_login(client, username, password)

    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    assert logins() == [(recorded_as, 400, {"via": "admin"}, None, "127.0.0.1")]


def test_a_wrong_password_from_a_logged_in_session_is_still_refused(client, staff_reader):
    client.force_login(staff_reader)

    admin_login(client, "reader", "guess")

    assert logins() == [("reader", 400, {"via": "admin"}, None, "127.0.0.1")]


def test_an_unknown_username_from_a_logged_in_session_is_recorded_without_actor(client, staff_reader):
    client.force_login(staff_reader)

    admin_login(client, "nobody", PASSWORD)

    assert logins() == [("", 400, {"via": "admin"}, None, "127.0.0.1")]


def test_a_locked_out_admin_login_is_recorded_as_429(client, staff_reader, settings):
    settings.AXES_FAILURE_LIMIT = 3
    for number in range(3):
        admin_login(client, f"guess{number}", "wrong")

    response = admin_login(client, "reader", PASSWORD)

    assert response.status_code == 429
    assert logins()[-1] == ("reader", 429, {"via": "admin"}, None, "127.0.0.1")


def test_opening_the_login_page_is_not_recorded(client, db):
    assert client.get(ADMIN_LOGIN_URL).status_code == 200
    assert APIClient().get(TOKEN_URL).status_code == 405

    assert logins() == []


def test_a_login_still_works_when_it_cannot_be_recorded(client, staff_reader, audit_writes_fail):
    assert token_login("reader", PASSWORD).status_code == 200
    assert admin_login(client, "reader", PASSWORD).status_code == 302


def test_a_logout_is_recorded_with_whose_session_ended(client, staff_reader):
    client.force_login(staff_reader)

    response = client.post("/admin/logout/")

    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    assert logins("logout") == [("reader", 200, {"via": "admin"}, None, "127.0.0.1")]


def test_a_logout_without_a_session_is_not_recorded(client, db):
    client.post("/admin/logout/")

    assert logins("logout") == []


@pytest.mark.parametrize(
    ("old_password", "recorded_status"), [(PASSWORD, 200), ("not-the-password", 400)], ids=["changed", "refused"]
)
def test_a_password_change_is_recorded_changed_or_refused(client, staff_reader, old_password, recorded_status):
    client.force_login(staff_reader)
    new_password = "a-new-and-long-passphrase-42"

    client.post(
        "/admin/password_change/",
        {"old_password": old_password, "new_password1": new_password, "new_password2": new_password},
    )

    staff_reader.refresh_from_db()
    assert staff_reader.check_password(new_password) is (recorded_status == 200)
    assert logins("password_change") == [("reader", recorded_status, {"via": "admin"}, None, "127.0.0.1")]


def test_opening_the_password_change_form_is_not_recorded(client, staff_reader):
    client.force_login(staff_reader)

    assert client.get("/admin/password_change/").status_code == 200
    assert logins("password_change") == []
