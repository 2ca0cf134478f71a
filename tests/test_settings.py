"""Settings come from the environment, and their defaults are safe for production."""

import json
import os
import subprocess
import sys
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parents[1]


def django_settings(**environment):
    """Read settings in a fresh interpreter with exactly the given DJANGO_* and DATABASE_URL variables."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "DATABASE_URL"))}
    env.update(environment)
    code = (
        "import django, json; django.setup(); from django.conf import settings as s; "
        "print(json.dumps({'debug': s.DEBUG, 'hosts': s.ALLOWED_HOSTS, 'engine': s.DATABASES['default']['ENGINE'], "
        "'name': str(s.DATABASES['default']['NAME'])}))"
    )
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=PROJECT_DIR,
        env={**env, "DJANGO_SETTINGS_MODULE": "commlogs_site.settings"},
        capture_output=True,
        text=True,
        check=False,
    )


def test_secret_key_is_required_when_debug_is_off():
    result = django_settings()
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


def test_debug_is_off_and_sqlite_file_is_the_default_database():

    result = django_settings(DJANGO_SECRET_KEY="k")
    assert result.returncode == 0, result.stderr
    read = json.loads(result.stdout)
    assert read["debug"] is False
    assert read["engine"] == "django.db.backends.sqlite3"
    assert read["name"] == str(PROJECT_DIR / "db.sqlite3")
    assert read["hosts"] == ["localhost", "127.0.0.1"]


def test_database_url_selects_postgresql_and_hosts_come_from_the_environment():

    result = django_settings(
        DJANGO_SECRET_KEY="k",
        DATABASE_URL="postgres://u@db.example:5432/logs",
        DJANGO_ALLOWED_HOSTS="logs.example.com,.example.org",
    )
    read = json.loads(result.stdout)
    assert read["engine"] == "django.db.backends.postgresql"
    assert read["name"] == "logs"
    assert read["hosts"] == ["logs.example.com", ".example.org"]


def test_a_negative_token_lifetime_stops_the_start_naming_the_variable():
    result = django_settings(DJANGO_SECRET_KEY="k", DJANGO_TOKEN_MAX_AGE_HOURS="-1")
    assert result.returncode != 0
    assert "DJANGO_TOKEN_MAX_AGE_HOURS" in result.stderr


def test_a_session_lifetime_under_an_hour_stops_the_start_naming_the_variable():
    result = django_settings(DJANGO_SECRET_KEY="k", DJANGO_SESSION_MAX_AGE_HOURS="0")
    assert result.returncode != 0
    assert "DJANGO_SESSION_MAX_AGE_HOURS" in result.stderr
