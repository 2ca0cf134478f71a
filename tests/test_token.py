"""`POST /api/auth/token/`: a token for good credentials, an envelope for everything else."""

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.conftest import LOGS_URL, TOKEN_URL


def test_good_credentials_return_a_token_that_reads_the_logs(staff_reader):
    response = APIClient().post(TOKEN_URL, {"username": "reader", "password": "correct-horse-battery"}, format="json")
    assert response.status_code == 200
    assert response.json() == {"token": Token.objects.get(user=staff_reader).key}
    reader = APIClient(HTTP_AUTHORIZATION=f"Bearer {response.json()['token']}")
    assert reader.get(LOGS_URL).status_code == 200


def test_form_encoded_credentials_work_too(staff_reader):
    response = APIClient().post(
        TOKEN_URL, "username=reader&password=correct-horse-battery", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 200


def test_a_body_of_another_type_gets_415(staff_reader):
    response = APIClient().post(TOKEN_URL, {"username": "reader", "password": "correct-horse-battery"})
    assert (response.status_code, response.json()["code"]) == (415, 415)


def test_wrong_password_gets_400_envelope_without_echoing_it(staff_reader):
    response = APIClient().post(TOKEN_URL, {"username": "reader", "password": "guess123"}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert set(body) == {"code", "message", "timestamp"}
    assert body["code"] == 400
    assert "guess123" not in response.content.decode()


def test_missing_username_names_the_field(db):
    response = APIClient().post(TOKEN_URL, {"password": "x"}, format="json")
    assert response.status_code == 400
    assert response.json()["message"] == "username: This field is required."


@pytest.mark.parametrize(
    ("body", "content_type"),
    [("{not json", "application/json"), ("[1, 2]", "application/json"), ("x", "text/plain")],
)
def test_malformed_body_gets_a_4xx_envelope(db, body, content_type):
    response = APIClient().generic("POST", TOKEN_URL, body, content_type=content_type)
    assert 400 <= response.status_code < 500
    assert response.json()["code"] == response.status_code


def test_get_on_the_token_endpoint_gets_405_envelope(db):
    response = APIClient().get(TOKEN_URL)
    assert response.status_code == 405
    assert response.json()["code"] == 405
