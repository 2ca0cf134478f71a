"""Real responses validate against the upstream Swagger description in ../shared/upstream/."""

import json
from pathlib import Path

import pytest
from jsonschema import Draft4Validator
from rest_framework.test import APIClient

from tests.conftest import LOGS_URL

pytestmark = pytest.mark.contract

# A copy kept with the tests, so a clone anywhere can run them; the test below keeps it equal to shared/'s.
UPSTREAM_SPEC = Path(__file__).resolve().parent / "contract" / "admin-communication-logs.swagger.json"
SHARED_SPEC = Path(__file__).resolve().parents[2] / "shared" / "upstream" / "admin-communication-logs.swagger.json"


@pytest.fixture(scope="module")
def upstream():
    return json.loads(UPSTREAM_SPEC.read_text())


@pytest.mark.skipif(not SHARED_SPEC.exists(), reason="no shared/ checkout beside this project")
def test_the_copy_of_the_upstream_spec_matches_shared(upstream):
    assert upstream == json.loads(SHARED_SPEC.read_text())


def validator_for(upstream, definition):
    schema = {"$ref": f"#/definitions/{definition}", "definitions": upstream["definitions"]}
    return Draft4Validator(schema)


def test_list_response_validates_against_upstream_list_schema(upstream, reader_client, make_log):
    make_log()
    make_log(status="pending", sent_at=None, channel="push", recipient="fcm:abcdefghijklmnopqrstuvwxyz")
    body = reader_client.get(LOGS_URL).json()
    validator_for(upstream, "dto.CommunicationLogListResponse").validate(body)
    for item in body["items"]:
        assert set(item) == set(upstream["definitions"]["dto.CommunicationLogResponse"]["properties"])
    assert set(body["pagination"]) == set(upstream["definitions"]["dto.PageInfo"]["properties"])


@pytest.mark.parametrize(
    ("params", "status"), [({"channel": "fax"}, 400), ({"page": "0"}, 400), ({"page": "999"}, 200)]
)
def test_every_documented_answer_validates_against_its_upstream_schema(upstream, reader_client, params, status):
    response = reader_client.get(LOGS_URL, params)
    assert response.status_code == status
    documented = upstream["paths"]["/admin/communication/logs"]["get"]["responses"][str(status)]
    Draft4Validator({**documented["schema"], "definitions": upstream["definitions"]}).validate(response.json())


@pytest.mark.parametrize("status", [401, 403])
def test_auth_errors_validate_against_upstream_simple_response(upstream, client_for, make_user, status):
    user = make_user("customer") if status == 403 else None
    client = client_for(user) if user else APIClient()
    response = client.get(LOGS_URL)
    assert response.status_code == status
    validator_for(upstream, "dto.SimpleResponse").validate(response.json())


def test_upstream_parameters_are_all_accepted(upstream, reader_client, make_log):
    make_log()
    names = {parameter["name"] for parameter in upstream["paths"]["/admin/communication/logs"]["get"]["parameters"]}
    examples = {"user_id": "usr_abc123", "channel": "sms", "status": "delivered", "page": "1", "page_size": "20"}
    assert names == set(examples)
    assert reader_client.get(LOGS_URL, examples).json()["total"] == 1
