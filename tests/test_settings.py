"""Settings come from the environment, and their defaults are safe for production."""

import pytest
from django.conf import settings

from tests.conftest import settings_probe


def test_secret_key_is_required_when_debug_is_off():
    code, _, stderr = settings_probe(["DEBUG"])
    assert code != 0
    assert "DJANGO_SECRET_KEY" in stderr


def test_debug_is_off_and_sqlite_file_is_the_default_database():
    code, read, stderr = settings_probe(["DEBUG", "ALLOWED_HOSTS", "engine", "name"], DJANGO_SECRET_KEY="k")
    assert code == 0, stderr
    assert read == {
        "DEBUG": False,
        "ALLOWED_HOSTS": ["localhost", "127.0.0.1"],
        "engine": "django.db.backends.sqlite3",
        "name": str(settings.BASE_DIR / "db.sqlite3"),
    }


def test_database_url_selects_postgresql_and_hosts_come_from_the_environment():
    _, read, _ = settings_probe(
        ["ALLOWED_HOSTS", "engine", "name"],
        DJANGO_SECRET_KEY="k",
        DATABASE_URL="postgres://u@db.example:5432/logs",
        DJANGO_ALLOWED_HOSTS="logs.example.com,.example.org",
    )
    assert read == {
        "ALLOWED_HOSTS": ["logs.example.com", ".example.org"],
        "engine": "django.db.backends.postgresql",
        "name": "logs",
    }


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("DJANGO_TOKEN_MAX_AGE_HOURS", "-1"),
        ("DJANGO_SESSION_MAX_AGE_HOURS", "0"),
        ("DJANGO_AUDIT_RETENTION_DAYS", "0"),
        ("DJANGO_AUDIT_RETENTION_DAYS", "-5"),
        ("DJANGO_LOG_RETENTION_DAYS", "0"),
    ],
)
def test_a_lifetime_out_of_range_stops_the_start_naming_the_variable(variable, value):
    code, _, stderr = settings_probe(["DEBUG"], DJANGO_SECRET_KEY="k", **{variable: value})
    assert code != 0
    assert variable in stderr
