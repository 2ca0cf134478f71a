"""Failed logins are limited per client IP and per username, at the token endpoint and the admin's form alike, on
one set of counters (django-axes); past the limit the right password is refused too, with a 429."""

import json

import pytest
from django.conf import settings
from rest_framework.test import APIClient

from commlogs_site import settings as configured
from tests.conftest import ADMIN_LOGIN_URL, BROWSER_ACCEPT, TOKEN_URL

PASSWORD = "correct-horse-battery"


@pytest.fixture(autouse=True)
def _a_limit_of_five(settings):
    settings.AXES_FAILURE_LIMIT = 5


def token_login(username, password, address="127.0.0.1"):
    body = json.dumps({"username": username, "password": password})
    return APIClient().generic("POST", TOKEN_URL, body, content_type="application/json", REMOTE_ADDR=address)


def admin_login(client, username, password, address="127.0.0.1"):
    return client.post(
        ADMIN_LOGIN_URL, {"username": username, "password": password}, REMOTE_ADDR=address, HTTP_ACCEPT=BROWSER_ACCEPT
    )


def assert_locked_out_envelope(response):
    assert response.status_code == 429
    assert int(response["Retry-After"]) == settings.AXES_COOLOFF_TIME.total_seconds()
    assert response.json()["message"] == (
        "Too many failed logins from this address or for this account. "
        f"Expected available in {response['Retry-After']} seconds."
    )


def assert_locked_out_page(response, client):
    assert response.status_code == 429
    assert int(response["Retry-After"]) == settings.AXES_COOLOFF_TIME.total_seconds()
    assert response["Content-Type"].startswith("text/html")
    assert "<h1>429</h1>" in response.content.decode()
    assert (
        "Too many failed logins from this address or for this account. Retry in 900 seconds."
        in response.content.decode()
    )
    assert "_auth_user_id" not in client.session


def test_ten_failures_lock_out_for_fifteen_minutes_by_default():
    assert (configured.AXES_FAILURE_LIMIT, configured.AXES_COOLOFF_TIME.total_seconds()) == (10, 900)


def test_failures_from_one_address_lock_it_out_even_with_the_right_password(make_user):
    make_user("alice")

    attempts = [token_login(f"guess{number}", "wrong").status_code for number in range(4)]

    assert attempts == [400] * 4
    assert_locked_out_envelope(token_login("nobody", "wrong"))
    assert_locked_out_envelope(token_login("alice", PASSWORD))


def test_failures_on_one_account_lock_it_out_from_every_address(make_user):
    make_user("alice")

    attempts = [token_login("alice", f"guess{number}", f"198.51.100.{number}").status_code for number in range(4)]

    assert attempts == [400] * 4
    assert_locked_out_envelope(token_login("alice", "wrong", "198.51.100.99"))
    assert_locked_out_envelope(token_login("Alice ", PASSWORD, "203.0.113.7"))


@pytest.mark.parametrize("username", [123, 1.5, True, None, ["alice"], {"name": "alice"}])
def test_a_username_of_any_json_type_is_a_400_that_counts_against_the_limit(make_user, username):
    make_user("alice")

    attempts = [token_login(username, PASSWORD).status_code for _ in range(5)]

    assert attempts == [400] * 4 + [429]
    assert_locked_out_envelope(token_login("alice", PASSWORD))


def test_a_number_for_a_username_locks_out_the_account_it_names_across_addresses(make_user):
    make_user("123")

    attempts = [token_login(123, PASSWORD, f"198.51.100.{number}").status_code for number in range(5)]

    assert attempts == [400] * 4 + [429]
    assert_locked_out_envelope(token_login("123", PASSWORD, "203.0.113.7"))


def test_the_admin_login_locks_out_an_address_as_the_token_endpoint_does(client, make_user):
    make_user("alice", staff=True)

    attempts = [admin_login(client, f"guess{number}", "wrong").status_code for number in range(4)]

    assert attempts == [200] * 4
    assert_locked_out_page(admin_login(client, "guess5", "wrong"), client)
    assert_locked_out_page(admin_login(client, "alice", PASSWORD), client)


def test_failures_on_one_account_count_at_both_doors_alike(client, make_user):
    make_user("alice", staff=True)
    token_login("alice", "guess1", "198.51.100.1")
    token_login("alice", "guess2", "198.51.100.2")
    admin_login(client, "alice", "guess3", "192.0.2.3")
    admin_login(client, "alice", "guess4", "192.0.2.4")

    assert_locked_out_page(admin_login(client, "ALICE", PASSWORD, "203.0.113.7"), client)


def test_opening_the_admin_login_page_is_not_a_failure(client, make_user):
    make_user("alice", staff=True)

    pages = [client.get(ADMIN_LOGIN_URL).status_code for _ in range(10)]

    assert pages == [200] * 10
    assert admin_login(client, "alice", PASSWORD).status_code == 302


def test_logins_that_succeed_count_nothing(make_user):
    make_user("alice")

    answers = [token_login("alice", PASSWORD).status_code for _ in range(10)]

    assert answers == [200] * 10
