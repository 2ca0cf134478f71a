"""Production settings: HTTPS hardening from one variable, a clean deploy check, static files by whitenoise."""

import os
import secrets
import shutil
import subprocess
import sys

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.management import call_command
from django.db import connection
from django.test import override_settings
from rest_framework.test import APIClient

from tests.conftest import LOGS_URL, settings_probe

PROBED = [
    "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SESSION_COOKIE_SECURE",
    "CSRF_COOKIE_SECURE",
    "cache",
    "CONN_MAX_AGE",
    "CONN_HEALTH_CHECKS",
    "connect_timeout",
    "API_STATEMENT_TIMEOUT_MS",
    "AUDIT_RETENTION_DAYS",
    "COUNTER_ROLLUP_ON_READ",
]


def production_environment(**variables):
    """The variables of a production process: debug off, a real secret key."""
    return {"DJANGO_DEBUG": "0", "DJANGO_SECRET_KEY": secrets.token_urlsafe(50), **variables}


def settings_under(**variables):
    code, read, stderr = settings_probe(PROBED, **production_environment(**variables))
    assert code == 0, stderr
    return read


def test_check_deploy_reports_nothing_with_https_debug_off_and_a_real_key():
    result = subprocess.run(
        [sys.executable, str(settings.BASE_DIR / "manage.py"), "check", "--deploy", "--fail-level", "WARNING"],
        env={
            **{name: value for name, value in os.environ.items() if not name.startswith(("DJANGO_", "DATABASE_URL"))},
            "DJANGO_SETTINGS_MODULE": "commlogs_site.settings",
            **production_environment(DJANGO_HTTPS="1"),
        },
        capture_output=True,
        text=True,
    )

    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout.strip() == "System check identified no issues (0 silenced)."


def test_https_turns_on_hsts_ssl_redirect_and_secure_cookies():
    assert settings_under(DJANGO_HTTPS="1") == {
        "SECURE_SSL_REDIRECT": True,
        "SECURE_HSTS_SECONDS": 31_536_000,
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
        "cache": "django.core.cache.backends.db.DatabaseCache",
        "CONN_MAX_AGE": 60,
        "CONN_HEALTH_CHECKS": True,
        "connect_timeout": None,
        "API_STATEMENT_TIMEOUT_MS": 5000,
        "AUDIT_RETENTION_DAYS": 365,
        "COUNTER_ROLLUP_ON_READ": True,
    }


def test_without_https_nothing_forces_tls():
    probed = settings_under()

    assert (probed["SECURE_SSL_REDIRECT"], probed["SECURE_HSTS_SECONDS"], probed["SESSION_COOKIE_SECURE"]) == (
        False,
        0,
        False,
    )


def test_postgresql_connections_get_a_connect_timeout_and_the_timeouts_follow_the_environment():
    probed = settings_under(
        DATABASE_URL="postgres://app@db.internal:5432/commlogs",
        DJANGO_DB_CONNECT_TIMEOUT="3",
        DJANGO_API_STATEMENT_TIMEOUT_MS="2500",
        DJANGO_AUDIT_RETENTION_DAYS="730",
        DJANGO_COUNTER_ROLLUP_ON_READ="0",
    )

    assert (
        probed["connect_timeout"],
        probed["API_STATEMENT_TIMEOUT_MS"],
        probed["AUDIT_RETENTION_DAYS"],
        probed["COUNTER_ROLLUP_ON_READ"],
    ) == (3, 2500, 730, False)


def test_plain_http_works_without_https(reader_client):
    response = reader_client.get(LOGS_URL)

    assert response.status_code == 200
    assert "Strict-Transport-Security" not in response


@pytest.mark.parametrize(
    "asset",
    [
        "admin/css/base.css",
        "rest_framework/css/bootstrap.min.css",
        "drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js",
        "drf_spectacular_sidecar/redoc/bundles/redoc.standalone.js",
    ],
)
def test_collected_static_files_are_served_by_whitenoise(asset, tmp_path, settings):
    # Copied, not collected: collectstatic compresses every file, which takes most of a minute.
    settings.STATIC_ROOT = tmp_path
    (tmp_path / asset).parent.mkdir(parents=True)
    shutil.copy(finders.find(asset), tmp_path / asset)

    response = APIClient().get(f"/static/{asset}")

    assert response.status_code == 200
    assert "max-age" in response["Cache-Control"]
    assert "no-store" not in response["Cache-Control"]
    assert b"".join(response.streaming_content) == (tmp_path / asset).read_bytes()


def test_migrate_creates_the_throttle_cache_table(db):
    database_cache = {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "migrated_cache"}

    with override_settings(CACHES={"default": database_cache}):
        call_command("migrate", verbosity=0)

    assert "migrated_cache" in connection.introspection.table_names()
