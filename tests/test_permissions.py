"""CONTRACT.md's authentication and permission table, row by row."""

import pytest
from django.contrib.auth.models import Group, Permission, User
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.conftest import LOGS_URL


def assert_error(response, status):
    assert response.status_code == status
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert set(body) == {"code", "message", "timestamp"}
    assert body["code"] == status
    return body


def test_no_credentials_gets_401_with_bearer_challenge(db):
    response = APIClient().get(LOGS_URL)
    assert_error(response, 401)
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("header", ["Bearer nosuchtoken", "Token nosuchtoken", "Bearer", "Bearer a b"])
def test_unknown_or_malformed_token_gets_401(db, header):
    response = APIClient().get(LOGS_URL, HTTP_AUTHORIZATION=header)
    assert_error(response, 401)
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_token_of_an_inactive_user_gets_401(client_for, make_user):
    user = make_user("gone", staff=True, can_view_logs=True, active=False)
    assert_error(client_for(user).get(LOGS_URL), 401)


def test_other_authorization_schemes_are_treated_as_no_credentials(db):
    response = APIClient().get(LOGS_URL, HTTP_AUTHORIZATION="Basic dXNlcjpwYXNz")
    assert_error(response, 401)


def test_non_staff_user_gets_403(client_for, make_user):
    user = make_user("customer", can_view_logs=True)
    assert_error(client_for(user).get(LOGS_URL), 403)


def test_staff_without_view_permission_gets_403(client_for, make_user):
    body = assert_error(client_for(make_user("support", staff=True)).get(LOGS_URL), 403)
    assert "communication.view_communicationlog" in body["message"]


def test_staff_with_view_permission_gets_200(reader_client, db):
    assert reader_client.get(LOGS_URL).status_code == 200


def test_superuser_gets_200(client_for, make_user):
    assert client_for(make_user("root", staff=True, superuser=True)).get(LOGS_URL).status_code == 200


def test_token_keyword_is_accepted_as_well_as_bearer(staff_reader, db):
    from rest_framework.authtoken.models import Token

    token = Token.objects.create(user=staff_reader)
    for keyword in ("Token", "Bearer", "bearer"):
        response = APIClient().get(LOGS_URL, HTTP_AUTHORIZATION=f"{keyword} {token.key}")
        assert response.status_code == 200, keyword


def test_admin_session_login_serves_the_api(staff_reader):
    client = APIClient()
    client.force_login(staff_reader)
    assert client.get(LOGS_URL).status_code == 200


def test_session_of_a_non_staff_user_gets_403(make_user):
    client = APIClient()
    client.force_login(make_user("customer"))
    assert_error(client.get(LOGS_URL), 403)


@pytest.mark.parametrize("key", ["abc\x00def", "a" * 10_000, "zzzz", "%00", "' OR 1=1 --"])
def test_token_that_cannot_be_a_key_gets_401_on_every_database(db, key):
    response = APIClient().get(LOGS_URL, HTTP_AUTHORIZATION=f"Bearer {key}")
    assert_error(response, 401)


def test_view_permission_through_a_group_gets_200(client_for, make_user):
    support = Group.objects.create(name="support")
    support.permissions.add(Permission.objects.get(codename="view_communicationlog"))
    user = make_user("grouped", staff=True)
    user.groups.add(support)
    assert client_for(user).get(LOGS_URL).status_code == 200


def test_a_group_without_the_view_permission_gives_403(client_for, make_user):
    other = Group.objects.create(name="billing")
    other.permissions.add(Permission.objects.get(codename="view_auditevent"))
    user = make_user("billing", staff=True)
    user.groups.add(other)
    assert_error(client_for(user).get(LOGS_URL), 403)


def test_a_revoked_permission_is_refused_on_the_next_request(client_for, staff_reader):
    client = client_for(staff_reader)
    assert client.get(LOGS_URL).status_code == 200
    staff_reader.user_permissions.clear()
    assert_error(client.get(LOGS_URL), 403)


def test_a_deactivated_users_token_is_refused_on_the_next_request(reader_client, staff_reader):
    assert reader_client.get(LOGS_URL).status_code == 200
    User.objects.filter(pk=staff_reader.pk).update(is_active=False)
    body = assert_error(reader_client.get(LOGS_URL), 401)
    assert body["message"] == "User inactive or deleted."


def test_a_deleted_token_is_refused_on_the_next_request(reader_client, staff_reader):
    assert reader_client.get(LOGS_URL).status_code == 200
    Token.objects.filter(user=staff_reader).delete()
    body = assert_error(reader_client.get(LOGS_URL), 401)
    assert body["message"] == "Invalid token."
