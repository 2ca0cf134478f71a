"""The OpenAPI schema: contract component names, every parameter and status documented, real responses valid."""

import re

import jsonschema
import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from communication.api.pagination import LogPagination
from tests.conftest import LOGS_URL

CONTRACT_PARAMETERS = {
    "user_id",
    "channel",
    "status",
    "page",
    "page_size",
    "tenant_id",
    "template_id",
    "provider",
    "recipient",
    "created_after",
    "created_before",
}
DOCUMENTED_STATUSES = {"200", "400", "401", "403", "405", "429", "500", "503"}


@pytest.fixture
def schema(db):
    response = APIClient().get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    return response.json()


@pytest.fixture
def logs_operation(schema):
    return schema["paths"]["/admin/communication/logs"]["get"]


def validate_against_component(schema, component, instance):
    """Validate a JSON body against one component, resolving its `$ref`s inside the whole schema."""
    jsonschema.validate(instance, {"$ref": f"#/components/schemas/{component}", "components": schema["components"]})


def resolve(schema, node):
    return schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[1]]


def test_schema_generation_has_no_warnings_and_validates(tmp_path):
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml"))
    assert (tmp_path / "schema.yaml").read_text().startswith("openapi: 3.0.3")


def test_schema_has_title_description_and_version(schema):
    assert schema["info"]["title"] == "commlogs: communication log API"
    assert schema["info"]["version"] == "1.0.0"
    assert "masked" in schema["info"]["description"]


def test_components_are_named_after_the_upstream_ones(schema, logs_operation):
    assert {"CommunicationLogListResponse", "CommunicationLogResponse", "PageInfo", "SimpleResponse"} <= set(
        schema["components"]["schemas"]
    )
    ok_schema = logs_operation["responses"]["200"]["content"]["application/json"]["schema"]
    assert ok_schema == {"$ref": "#/components/schemas/CommunicationLogListResponse"}


def test_each_route_is_documented_once_under_its_contract_path(schema):
    assert set(schema["paths"]) == {
        "/admin/communication/logs",
        "/admin/communication/logs/export.csv",
        "/api/auth/token/",
    }


def test_every_contract_parameter_is_documented_with_a_description(logs_operation):
    parameters = {parameter["name"]: parameter for parameter in logs_operation["parameters"]}
    assert set(parameters) == CONTRACT_PARAMETERS
    assert all(parameter["in"] == "query" and parameter["description"] for parameter in parameters.values())


def test_enum_parameters_list_their_values_and_no_empty_string_as_a_comma_separated_array(logs_operation):
    parameters = {parameter["name"]: parameter for parameter in logs_operation["parameters"]}
    assert parameters["channel"]["schema"] == {
        "type": "array",
        "items": {"type": "string", "enum": ["sms", "email", "push"]},
    }
    assert parameters["status"]["schema"]["items"]["enum"] == ["pending", "sent", "failed", "delivered"]
    assert (parameters["channel"]["style"], parameters["channel"]["explode"]) == ("form", False)


def test_every_response_status_has_a_schema_and_an_example(logs_operation):
    responses = logs_operation["responses"]
    assert set(responses) == DOCUMENTED_STATUSES
    for status, response in responses.items():
        body = response["content"]["application/json"]
        expected = "CommunicationLogListResponse" if status == "200" else "SimpleResponse"
        assert body["schema"] == {"$ref": f"#/components/schemas/{expected}"}
        assert body["examples"], status
        assert response["description"], status


def test_documented_examples_validate_against_their_schemas(schema, logs_operation):
    for status, response in logs_operation["responses"].items():
        body = response["content"]["application/json"]
        component = body["schema"]["$ref"].rsplit("/", 1)[1]
        for example in body["examples"].values():
            validate_against_component(schema, component, example["value"])
            if status != "200":
                assert example["value"]["code"] == int(status)


def test_throttled_and_unavailable_responses_document_retry_after(logs_operation):
    for status in ("429", "503"):
        assert logs_operation["responses"][status]["headers"]["Retry-After"]["schema"] == {"type": "integer"}


def test_bearer_security_scheme_protects_the_logs_endpoint(schema, logs_operation):
    assert schema["components"]["securitySchemes"]["bearerAuth"]["type"] == "http"
    assert schema["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    assert {"bearerAuth": []} in logs_operation["security"]


def test_page_info_component_matches_the_paginator(schema, reader_client, make_log):
    make_log()
    pagination = reader_client.get(LOGS_URL).json()["pagination"]
    page_info = schema["components"]["schemas"]["PageInfo"]
    assert set(page_info["properties"]) == set(page_info["required"]) == set(pagination)
    assert page_info == LogPagination().get_page_info_schema()


def test_real_list_response_validates_against_the_schema(schema, reader_client, make_log):
    make_log()
    make_log(status="pending", sent_at=None, error="", response="", recipient="alice@example.com", channel="email")
    body = reader_client.get(LOGS_URL, {"page_size": 1, "page": 2}).json()

    validate_against_component(schema, "CommunicationLogListResponse", body)
    list_schema = schema["components"]["schemas"]["CommunicationLogListResponse"]
    item_schema = schema["components"]["schemas"]["CommunicationLogResponse"]
    assert set(body) == set(list_schema["properties"]) == set(list_schema["required"])
    assert set(body["items"][0]) == set(item_schema["properties"]) == set(item_schema["required"])


@pytest.mark.parametrize(
    ("params", "credentials", "status"),
    [
        ({"channel": "fax"}, True, 400),
        ({}, False, 401),
    ],
)
def test_real_error_responses_validate_against_simple_response(
    schema, client_for, staff_reader, params, credentials, status
):
    response = client_for(staff_reader if credentials else None).get(LOGS_URL, params)
    assert response.status_code == status
    validate_against_component(schema, "SimpleResponse", response.json())


def test_swagger_ui_and_redoc_load_their_assets_locally(client):
    for url in ("/api/docs/", "/api/redoc/"):
        page = client.get(url).content.decode()
        asset_urls = re.findall(r'(?:src|href)="([^"]+)"', page)
        assert asset_urls, url
        assert all(asset.startswith("/") for asset in asset_urls), asset_urls
        assert "/static/drf_spectacular_sidecar/" in page
