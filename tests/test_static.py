"""Static files are collected under names that hold a hash of their content, and served cacheable for a year."""

import re

import pytest
from django.core.management import call_command
from django.test import Client, override_settings

PRODUCTION_STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
ONE_YEAR = 365 * 24 * 60 * 60


@pytest.fixture(scope="session")
def collected(tmp_path_factory):
    """`collectstatic` as `make serve` runs it, once (it compresses every file)."""
    root = tmp_path_factory.mktemp("static")
    with override_settings(STATIC_ROOT=root, STORAGES=PRODUCTION_STORAGES):
        call_command("collectstatic", "--noinput", verbosity=0)
    return root


@pytest.fixture
def served(collected, settings):
    settings.STATIC_ROOT = collected
    settings.STORAGES = PRODUCTION_STORAGES
    return Client()


def hashed_urls(page):
    return re.findall(r'(?:href|src)="(/static/[^"]+)"', page)


@pytest.mark.parametrize("page", ["/admin/login/", "/api/docs/", "/api/redoc/", "/"])
def test_pages_name_static_files_by_hashed_names_served_immutable_for_a_year(served, db, page):
    urls = hashed_urls(served.get(page).content.decode())

    assert urls
    for url in urls:
        assert re.search(r"\.[0-9a-f]{12}\.", url), url
        response = served.get(url)
        assert response.status_code == 200, url
        assert response["Cache-Control"] == f"max-age={ONE_YEAR}, public, immutable", url


def test_a_file_under_its_plain_name_is_kept_briefly(served):
    response = served.get("/static/admin/css/base.css")

    assert response.status_code == 200
    assert "immutable" not in response["Cache-Control"]
