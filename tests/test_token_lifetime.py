"""A token authenticates for DJANGO_TOKEN_MAX_AGE_HOURS after it is made; logins and drf_create_token renew it.

An admin login lasts DJANGO_SESSION_MAX_AGE_HOURS.
"""

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.conftest import LOGS_URL, TOKEN_URL


@pytest.fixture(autouse=True)
def _a_day_of_lifetime(settings):
    settings.TOKEN_MAX_AGE_HOURS = 24


def aged(token, hours):
    """The token as if it had been made `hours` ago."""
    Token.objects.filter(pk=token.pk).update(created=timezone.now() - timedelta(hours=hours))
    return token.key


def reads_the_logs(key):
    return APIClient(HTTP_AUTHORIZATION=f"Bearer {key}").get(LOGS_URL)


def log_in():
    response = APIClient().post(TOKEN_URL, {"username": "reader", "password": "correct-horse-battery"}, format="json")
    assert response.status_code == 200
    return response.json()["token"]


def test_a_token_past_its_maximum_age_gets_401_asking_for_a_new_one(staff_reader):
    key = aged(Token.objects.create(user=staff_reader), hours=24)

    response = reads_the_logs(key)

    assert response.status_code == 401
    assert response.json()["message"] == "Token has expired; log in again for a new one."
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_a_token_within_its_maximum_age_reads(staff_reader):
    key = aged(Token.objects.create(user=staff_reader), hours=23)

    assert reads_the_logs(key).status_code == 200


def test_a_login_hands_out_the_same_token_while_more_than_half_its_lifetime_is_left(staff_reader):
    key = aged(Token.objects.create(user=staff_reader), hours=11)

    assert log_in() == key
    assert reads_the_logs(key).status_code == 200


@pytest.mark.parametrize("hours", [13, 100])
def test_a_login_past_half_the_lifetime_hands_out_a_new_token_and_ends_the_old_one(staff_reader, hours):
    old_key = aged(Token.objects.create(user=staff_reader), hours=hours)

    new_key = log_in()

    assert new_key != old_key
    assert reads_the_logs(new_key).status_code == 200
    assert reads_the_logs(old_key).status_code == 401


def test_tokens_never_expire_with_a_maximum_age_of_zero(staff_reader, settings):
    settings.TOKEN_MAX_AGE_HOURS = 0
    key = aged(Token.objects.create(user=staff_reader), hours=24 * 365 * 3)

    assert reads_the_logs(key).status_code == 200
    assert log_in() == key


def test_drf_create_token_hands_out_a_token_that_reads_when_the_old_one_expired(staff_reader):
    old_key = aged(Token.objects.create(user=staff_reader), hours=30)
    output = io.StringIO()

    call_command("drf_create_token", "reader", stdout=output)

    new_key = Token.objects.get(user=staff_reader).key
    assert new_key != old_key
    assert new_key in output.getvalue()
    assert reads_the_logs(new_key).status_code == 200


def test_drf_create_token_keeps_a_fresh_token_unless_asked_to_reset_it(staff_reader):
    key = Token.objects.create(user=staff_reader).key

    call_command("drf_create_token", "reader", stdout=io.StringIO())
    assert Token.objects.get(user=staff_reader).key == key

    call_command("drf_create_token", "reader", "--reset", stdout=io.StringIO())
    assert Token.objects.get(user=staff_reader).key != key


def test_an_admin_login_lasts_a_day_not_djangos_two_weeks(staff_reader, client):
    response = client.post("/admin/login/", {"username": "reader", "password": "correct-horse-battery"})

    assert response.status_code == 302
    assert response.cookies["sessionid"]["max-age"] == 24 * 3600
