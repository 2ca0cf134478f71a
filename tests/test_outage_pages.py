"""Pages answer a 503 with Retry-After when the database cannot be reached, never a 500: the JSON envelope under
the app's admin, a page elsewhere."""

import pytest
from django.contrib.auth import forms as auth_forms
from django.db import DatabaseError, InterfaceError, OperationalError

from communication.admin import CommunicationLogAdmin
from tests.conftest import ADMIN_LOGIN_URL, ADMIN_LOGS_URL, BROWSER_ACCEPT


def unreachable(error_class):
    def fail(*args, **kwargs):
        raise error_class("connection to server at 10.20.30.40, port 5432 failed")

    return fail


def assert_unavailable_page(response):
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert response["Content-Type"].startswith("text/html")
    page = response.content.decode()
    assert "<h1>503</h1>" in page
    assert "the database is unavailable or too slow; retry later" in page
    assert "10.20.30.40" not in page


@pytest.mark.parametrize("error_class", [OperationalError, InterfaceError])
def test_an_admin_page_of_logs_whose_database_is_unreachable_answers_the_503_envelope(
    client, staff_reader, monkeypatch, error_class
):
    client.force_login(staff_reader)
    monkeypatch.setattr(CommunicationLogAdmin, "get_queryset", unreachable(error_class))

    response = client.get(ADMIN_LOGS_URL)

    assert (response.status_code, response["Retry-After"], response["Content-Type"]) == (503, "5", "application/json")
    assert response.json()["message"] == "the database is unavailable or too slow; retry later"
    assert "10.20.30.40" not in response.content.decode()


def test_logging_in_while_the_database_is_unreachable_answers_503(client, db, monkeypatch, caplog):
    monkeypatch.setattr(auth_forms, "authenticate", unreachable(OperationalError))

    response = client.post(
        ADMIN_LOGIN_URL, {"username": "reader", "password": "correct-horse-battery"}, HTTP_ACCEPT=BROWSER_ACCEPT
    )

    assert_unavailable_page(response)
    assert [record.getMessage() for record in caplog.records if record.name == "commlogs.errors"] == [
        "database unavailable: OperationalError"
    ]


def test_other_database_errors_stay_server_errors(client, staff_reader, monkeypatch):
    client.raise_request_exception = False
    client.force_login(staff_reader)
    monkeypatch.setattr(CommunicationLogAdmin, "get_queryset", unreachable(DatabaseError))

    response = client.get(ADMIN_LOGS_URL)
    assert (response.status_code, response.json()["message"]) == (500, "internal server error")
