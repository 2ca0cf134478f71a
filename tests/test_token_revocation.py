"""A token ends when what it was handed out on changes: a new password, a deactivation, the loss of staff status.
The admin lists tokens without their keys and hands none out."""

import re

import pytest
from django.contrib.admin.models import LogEntry
from django.core.management import call_command
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.conftest import LOGS_URL, TOKEN_URL

TOKEN_ADMIN_URL = "/admin/communication/apitoken/"


def reads_the_logs(key):
    return APIClient(HTTP_AUTHORIZATION=f"Bearer {key}").get(LOGS_URL).status_code == 200


@pytest.fixture
def token(staff_reader):
    return Token.objects.create(user=staff_reader).key


def change_password(user):
    user.set_password("a-new-horse-battery")
    user.save()


def deactivate(user):
    user.is_active = False
    user.save()


def take_staff_status(user):
    user.is_staff = False
    user.save(update_fields=["is_staff"])


@pytest.mark.parametrize("change", [change_password, deactivate, take_staff_status])
def test_a_credential_change_ends_the_users_token(staff_reader, token, change):
    assert reads_the_logs(token)

    change(staff_reader)

    assert not Token.objects.filter(user=staff_reader).exists()
    assert APIClient(HTTP_AUTHORIZATION=f"Bearer {token}").get(LOGS_URL).status_code == 401


def test_the_changepassword_command_ends_the_token_too(staff_reader, token, monkeypatch):
    monkeypatch.setattr("getpass.getpass", lambda prompt: "a-new-horse-battery")

    call_command("changepassword", "reader", stdout=None)

    assert not reads_the_logs(token)


def test_other_changes_to_a_user_keep_the_token(staff_reader, token):
    staff_reader.first_name = "Rea"
    staff_reader.save()
    APIClient().post(TOKEN_URL, {"username": "reader", "password": "correct-horse-battery"}, format="json")

    assert reads_the_logs(token)


def test_a_password_hash_upgraded_at_login_keeps_the_token(staff_reader, token, settings):
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
        "django.contrib.auth.hashers.MD5PasswordHasher",
    ]
    hash_before = staff_reader.password

    assert staff_reader.check_password("correct-horse-battery")

    staff_reader.refresh_from_db()
    assert staff_reader.password != hash_before
    assert reads_the_logs(token)


@pytest.fixture
def superuser_browser(client, make_user):
    client.force_login(make_user("root", staff=True, superuser=True))
    return client


def test_the_token_admin_lists_whose_token_it_is_and_when_it_expires_never_the_key(superuser_browser, token, settings):
    settings.TOKEN_MAX_AGE_HOURS = 24

    page = superuser_browser.get(TOKEN_ADMIN_URL).content.decode()

    assert token not in page
    assert f"{token[:6]}…" in page
    assert "Expires (UTC)" in page
    assert not re.search(r"[0-9a-f]{7,}…", page)


def test_the_token_admin_hands_out_no_token(superuser_browser, staff_reader):
    assert f'href="{TOKEN_ADMIN_URL}add/"' not in superuser_browser.get(TOKEN_ADMIN_URL).content.decode()
    assert superuser_browser.get(f"{TOKEN_ADMIN_URL}add/").status_code == 403
    assert superuser_browser.post(f"{TOKEN_ADMIN_URL}add/", {"user": staff_reader.pk}).status_code == 403
    assert not Token.objects.exists()


def test_revoking_a_token_in_the_admin_shows_and_records_no_key(superuser_browser, staff_reader, token):
    confirm = superuser_browser.get(f"{TOKEN_ADMIN_URL}{staff_reader.pk}/delete/")
    done = superuser_browser.post(f"{TOKEN_ADMIN_URL}{staff_reader.pk}/delete/", {"post": "yes"}, follow=True)

    assert confirm.status_code == done.status_code == 200
    assert token not in confirm.content.decode() + done.content.decode()
    assert not Token.objects.exists()
    assert token not in LogEntry.objects.get().object_repr


def test_a_tokens_page_shows_no_key(superuser_browser, staff_reader, token):
    page = superuser_browser.get(f"{TOKEN_ADMIN_URL}{staff_reader.pk}/change/").content.decode()

    assert f"{token[:6]}…" in page
    assert token not in page


def test_the_page_confirming_a_users_deletion_shows_no_token_key(superuser_browser, staff_reader, token):
    page = superuser_browser.get(f"/admin/auth/user/{staff_reader.pk}/delete/").content.decode()

    assert f"{token[:6]}…" in page
    assert token not in page
