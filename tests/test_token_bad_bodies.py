"""Whatever body is posted to the token endpoint, the answer is a 4xx envelope, never a 500."""

import json

import pytest
from rest_framework.test import APIClient

from tests.conftest import TOKEN_URL

DEEP = 100_000
BAD_BODIES = [
    ("[" * DEEP + "]" * DEEP, "application/json"),
    ('{"username": ' + "[" * DEEP + "]" * DEEP + ', "password": "x"}', "application/json"),
    ('{"username": ' + '{"a":' * DEEP + "1" + "}" * DEEP + "}", "application/json"),
    ('{"username": "\\ud800", "password": "x"}', "application/json"),
    ('{"username": "reader", "password": "\\udfff"}', "application/json"),
    ('{"username": "re\\u0000ader", "password": "x"}', "application/json"),
    ('{"username": NaN, "password": "x"}', "application/json"),
    ('{"username": 1e999, "password": "x"}', "application/json"),
    ('{"username": "reader", "password": "x"', "application/json"),
    (b'{"username": "\xff\xfe", "password": "x"}', "application/json"),
    ("", "application/json"),
    ("null", "application/json"),
    ('"reader"', "application/json"),
    ("username=reader&password=x&" * 2000, "application/x-www-form-urlencoded"),
    ("username=%ff%fe&password=x", "application/x-www-form-urlencoded"),
    ("username=re%00ader&password=x", "application/x-www-form-urlencoded"),
    ('{"username": "' + "x" * 3_000_000 + '", "password": "x"}', "application/json"),
    ("--b\r\nContent-Disposition: form-data; name=username\r\n\r\nreader\r\n--b--", "multipart/form-data; boundary=b"),
    ("<xml/>", "application/xml"),
    ('{"username": "reader", "password": "x"}', "application/json; charset=utf-16"),
    ('{"username": "reader", "password": "x"}', "application/json; charset=nonsense"),
]


@pytest.mark.parametrize(("body", "content_type"), BAD_BODIES, ids=range(len(BAD_BODIES)))
def test_a_malformed_or_hostile_body_gets_a_4xx_envelope(staff_reader, body, content_type):
    response = APIClient().generic("POST", TOKEN_URL, body, content_type=content_type)

    assert 400 <= response.status_code < 500
    assert response["Content-Type"] == "application/json"
    assert set(response.json()) == {"code", "message", "timestamp"}


@pytest.mark.parametrize("username", [123, 1.5, True, None, [], ["reader"], {"name": "reader"}, 10**30])
def test_a_username_that_is_not_a_string_is_a_400(staff_reader, username):
    body = json.dumps({"username": username, "password": "correct-horse-battery"})

    response = APIClient().generic("POST", TOKEN_URL, body, content_type="application/json")

    assert (response.status_code, response.json()["message"]) == (400, "username: must be a string")


@pytest.mark.parametrize(("accept", "query"), [("text/html", ""), ("text/*", ""), ("", "?format=api"), ("*/*", "")])
def test_a_refused_login_asked_for_as_a_page_is_the_json_envelope(staff_reader, accept, query):
    body = json.dumps({"username": "reader", "password": "wrong"})

    response = APIClient().generic("POST", TOKEN_URL + query, body, content_type="application/json", HTTP_ACCEPT=accept)

    assert (response.status_code, response["Content-Type"]) == (400, "application/json")


@pytest.mark.parametrize("field", ["username", "password"])
@pytest.mark.parametrize("control", ["\x00", "\n", "\x1b", "\x7f", "\x85"])
def test_a_control_character_in_a_credential_is_refused_in_the_same_words(staff_reader, field, control):
    credentials = {"username": "reader", "password": "correct-horse-battery", field: f"re{control}ader"}

    response = APIClient().post(TOKEN_URL, credentials, format="json")

    assert (response.status_code, response.json()["message"]) == (400, f"{field}: must not contain control characters")
