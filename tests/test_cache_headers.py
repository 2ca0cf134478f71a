"""No browser or proxy keeps a copy of an answer holding personal data or a token; static files stay cacheable."""

import pytest
from rest_framework.test import APIClient

from tests.conftest import BROWSER_ACCEPT, EXPORT_URL, LOGS_URL, TOKEN_URL


def assert_never_stored(response):
    directives = {directive.strip() for directive in response["Cache-Control"].split(",")}
    assert {"no-store", "private"} <= directives
    assert "Expires" in response


@pytest.mark.parametrize("accept", ["application/json", BROWSER_ACCEPT])
def test_a_page_of_logs_is_never_stored_as_json_or_in_the_browsable_api(make_log, reader_client, accept):
    make_log(recipient="alice@example.com")

    response = reader_client.get(LOGS_URL, HTTP_ACCEPT=accept)

    assert response.status_code == 200
    assert_never_stored(response)


def test_the_csv_export_is_never_stored(make_log, reader_client):
    make_log()

    response = reader_client.get(EXPORT_URL)

    assert response.status_code == 200
    assert_never_stored(response)


def test_a_new_token_is_never_stored(staff_reader):
    response = APIClient().post(TOKEN_URL, {"username": "reader", "password": "correct-horse-battery"}, format="json")

    assert response.status_code == 200
    assert_never_stored(response)


@pytest.mark.parametrize(
    ("path", "status_code"),
    [(LOGS_URL + "?channel=fax", 400), (LOGS_URL + "/nothing-here", 404), ("/api/nothing-here", 404)],
)
def test_error_answers_are_never_stored(reader_client, path, status_code):
    response = reader_client.get(path)

    assert response.status_code == status_code
    assert_never_stored(response)


def test_a_refused_reader_gets_an_answer_never_stored(db):
    response = APIClient().get(LOGS_URL)

    assert response.status_code == 401
    assert_never_stored(response)


def test_admin_pages_are_never_stored(admin_client):
    response = admin_client.get("/admin/communication/communicationlog/")

    assert response.status_code == 200
    assert_never_stored(response)
