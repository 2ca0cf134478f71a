"""The OpenAPI description of the logs API: contract component names, every status, examples, bearer auth."""

from drf_spectacular.extensions import (
    OpenApiAuthenticationExtension,
    OpenApiSerializerExtension,
    OpenApiSerializerFieldExtension,
)
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import build_bearer_security_scheme_object
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import serializers

from communication.api.pagination import LogPagination
from communication.api.serializers import CommunicationLogSerializer, CredentialsSerializer
from communication.errors import STATUS_MESSAGES
from communication.models import Channel, Status

EXAMPLE_TIMESTAMP = "2026-04-15T10:00:05Z"
# Each item key: its description, and its value in the example.
ITEM_FIELDS = {
    "id": ("Log id, `log_` followed by hex digits.", "log_8f3a2c91d04b7e65a1f0"),
    "tenant_id": ("Tenant the message was sent for, as upstream gave it.", "tnt_xyz789"),
    "user_id": ("Target user, as upstream gave it.", "usr_abc123"),
    "channel": ("sms, email or push.", "sms"),
    "provider": ("Provider that carried the message, such as aliyun or sendgrid.", "aliyun"),
    "template_id": ("Template the content was rendered from.", "tpl_abc123"),
    "recipient": ("Phone number, email address or device token, always masked.", "138****8000"),
    "content": ("The message text as sent.", "Your verification code is 123456"),
    "status": ("pending, sent, failed or delivered.", "delivered"),
    "error": ('Why sending failed; "" unless the status is failed.', ""),
    "response": ('The provider\'s raw answer, often JSON; "" while pending.', '{"BizId":"900619746936498440^0"}'),
    "sent_at": ('When the provider accepted the message; "" while pending.', "2026-04-15T10:01:00Z"),
    "created_at": ("When the message was queued.", "2026-04-15T10:00:00Z"),
    "updated_at": ("When the log last changed.", "2026-04-15T10:01:03Z"),
}
EXAMPLE_ITEM = {name: example for name, (_, example) in ITEM_FIELDS.items()}
# The trailing-slash twins of documented routes answer the same; documenting both would only repeat them.
ALIAS_PATHS = {"/admin/communication/logs/", "/api/auth/token"}
RETRY_AFTER_HEADER = OpenApiParameter(
    "Retry-After",
    OpenApiTypes.INT,
    OpenApiParameter.HEADER,
    description="Seconds to wait before retrying.",
    response=[429, 503],
)
CHOICE_LIST_NOTE = (
    "Omit or leave empty for all; a comma-separated list matches any of them. Empty items (`sms,`) are skipped, "
    "and spaces around an item (`sms, email`) are ignored."
)


class SimpleResponseSerializer(serializers.Serializer):
    """The error envelope (and the shape every response starts with)."""

    code = serializers.IntegerField(help_text="The HTTP status; 0 on success.")
    message = serializers.CharField(help_text="One line naming the offending parameter where there is one.")
    timestamp = serializers.CharField(help_text="The server's time of the response, RFC 3339 UTC.")


class ContractAutoSchema(AutoSchema):
    """Names a paged list after its item component: `CommunicationLogResponse` gives `CommunicationLogListResponse`."""

    def get_paginated_name(self, serializer_name):
        if serializer_name.endswith("Response"):
            return serializer_name.removesuffix("Response") + "ListResponse"
        return super().get_paginated_name(serializer_name)


class BearerTokenScheme(OpenApiAuthenticationExtension):
    """`Authorization: Bearer <token>`, documented as the contract's `bearerAuth`."""

    target_class = "communication.api.authentication.BearerTokenAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema):
        return {
            **build_bearer_security_scheme_object(header_name="Authorization", token_prefix="Bearer"),
            "description": "A DRF authtoken (`manage.py drf_create_token USER` or `POST /api/auth/token/`). "
            "`Authorization: Token <token>` is accepted too. A token expires `DJANGO_TOKEN_MAX_AGE_HOURS` "
            "(default 24) after it is made: a 401 then asks for a new one.",
        }


class RFC3339FieldSchema(OpenApiSerializerFieldExtension):
    """A time on the wire is a string, `""` when it has not happened: not a nullable date-time."""

    target_class = "communication.api.serializers.RFC3339Field"

    def map_serializer_field(self, auto_schema, direction):
        return {"type": "string", "description": 'RFC 3339 in UTC with whole seconds and `Z`, or "".'}


class MaskedRecipientFieldSchema(OpenApiSerializerFieldExtension):
    """The masked recipient is a plain string."""

    target_class = "communication.api.serializers.MaskedRecipientField"

    def map_serializer_field(self, auto_schema, direction):
        return {"type": "string"}


class CommunicationLogResponseSchema(OpenApiSerializerExtension):
    """One log item under the contract's name, with a description and example for every key."""

    target_class = "communication.api.serializers.CommunicationLogSerializer"

    def get_name(self, auto_schema, direction):
        return "CommunicationLogResponse"

    def map_serializer(self, auto_schema, direction):
        schema = auto_schema._map_serializer(self.target, direction, bypass_extensions=True)
        schema["description"] = "Message send log record."
        for name, field_schema in schema["properties"].items():
            field_schema["description"], field_schema["example"] = ITEM_FIELDS[name]
        return schema


def documented_error(status_code, description, message=None):
    """One documented error status: the envelope's schema and an example of it."""
    example = {"code": status_code, "message": message or STATUS_MESSAGES[status_code], "timestamp": EXAMPLE_TIMESTAMP}
    return OpenApiResponse(
        SimpleResponseSerializer,
        description=description,
        examples=[OpenApiExample(f"{status_code}", value=example, status_codes=[status_code], response_only=True)],
    )


def access_errors():
    """401 and 403: who may read communication logs."""
    return {
        401: documented_error(
            401,
            "No credentials, or an unknown token or inactive user's token.",
            "Authentication credentials were not provided.",
        ),
        403: documented_error(
            403,
            "Not staff, or without the communication.view_communicationlog permission.",
            "You need the communication.view_communicationlog permission to read communication logs.",
        ),
    }


def common_errors(allowed_methods):
    """The statuses every endpoint can answer besides its own: 405, 429, 500 and 503."""
    return {
        405: documented_error(405, f"Any method other than {allowed_methods}.", 'Method "DELETE" not allowed.'),
        429: documented_error(
            429,
            "Too many requests; `Retry-After` says when to retry.",
            "Request was throttled. Expected available in 5 seconds.",
        ),
        500: documented_error(500, "Internal error; details go to the server log, never to the client."),
        503: documented_error(503, "The database is unreachable or too slow; `Retry-After` says when to retry."),
    }


def choice_list_parameter(name, label, choices):
    """A comma-separated list of enum values, as `channel` and `status` take them."""
    return OpenApiParameter(
        name,
        {"type": "array", "items": {"type": "string", "enum": list(choices.values)}},
        description=f"{label}: {', '.join(choices.values)}. {CHOICE_LIST_NOTE}",
        style="form",
        explode=False,
    )


# The filters whose generated description is not what they accept, and the header of 429 and 503 answers;
# shared by the list and its CSV export.
LOG_FILTER_PARAMETERS = [
    choice_list_parameter("channel", "Send channel", Channel),
    choice_list_parameter("status", "Send status", Status),
    OpenApiParameter(
        "created_after",
        OpenApiTypes.STR,
        description="Created at or after (inclusive): RFC 3339 time (`2026-04-15T10:00:00Z`) or `YYYY-MM-DD`, "
        "midnight UTC.",
    ),
    OpenApiParameter(
        "created_before",
        OpenApiTypes.STR,
        description="Created before (exclusive): RFC 3339 time (`2026-04-16T00:00:00Z`) or `YYYY-MM-DD`, midnight UTC.",
    ),
    RETRY_AFTER_HEADER,
]


list_logs_schema = extend_schema_view(
    get=extend_schema(
        operation_id="admin_communication_logs_list",
        summary="Admin query any user's communication logs",
        description=(
            "Staff query the send logs of any user, across users and tenants, newest first "
            "(`created_at` then `id`, descending). Every filter is optional and exact; an empty value means "
            "not given and unknown parameters are ignored. A page past the last one is an empty page, not an "
            "error. Recipients are always masked."
        ),
        tags=["Communication logs"],
        parameters=LOG_FILTER_PARAMETERS,
        responses={
            200: OpenApiResponse(
                CommunicationLogSerializer,
                description="The matching logs, one page of them.",
                examples=[
                    OpenApiExample(
                        "One delivered SMS",
                        value=EXAMPLE_ITEM,
                        status_codes=[200],
                        response_only=True,
                    )
                ],
            ),
            400: documented_error(
                400, "A parameter has a bad value; the message names it.", "channel: must be one of sms, email, push"
            ),
            **access_errors(),
            **common_errors("GET, HEAD or OPTIONS"),
        },
    )
)

token_schema = extend_schema_view(
    post=extend_schema(
        operation_id="api_auth_token_create",
        summary="Exchange a username and password for an API token",
        description="Returns the user's token, creating it on first use. A token authenticates for "
        "`DJANGO_TOKEN_MAX_AGE_HOURS` (default 24) after it is made; once the user's token is past half of that, "
        "a new one replaces it, so a token handed out lasts at least half that time. "
        "Failed logins are limited per client IP and per username. The body may also be form-encoded "
        "(`application/x-www-form-urlencoded`), with the same two fields.",
        tags=["Authentication"],
        request={"application/json": CredentialsSerializer},
        parameters=[RETRY_AFTER_HEADER],
        responses={
            200: OpenApiResponse(
                inline_serializer("TokenResponse", {"token": serializers.CharField()}),
                description="The token to send as `Authorization: Bearer <token>`.",
            ),
            400: documented_error(
                400, "Missing or wrong username or password.", "Unable to log in with provided credentials."
            ),
            **common_errors("POST or OPTIONS"),
        },
    )
)


def drop_alias_routes(endpoints, **kwargs):
    """Preprocessing hook: document each route once, under its contract path."""
    return [endpoint for endpoint in endpoints if endpoint[0] not in ALIAS_PATHS]


def add_page_info_component(result, generator, request, public):
    """Postprocessing hook: register the `PageInfo` component that the paginated response refers to."""
    result.setdefault("components", {}).setdefault("schemas", {})["PageInfo"] = LogPagination().get_page_info_schema()
    return result


# What the generated schema leaves out of the contract: parameter limits and empty values.
# Exact-match text filters refuse control characters and over-long values with a 400.
PRINTABLE_PATTERN = "^[^\\u0000-\\u001f\\u007f-\\u009f]*$"
TEXT_PARAMETER_MAX_LENGTHS = {"recipient": 320}
TEXT_PARAMETER_DEFAULT_MAX_LENGTH = 64
CREATED_TIME_PARAMETERS = {"created_after", "created_before"}
# RFC 3339 or a plain date, or empty (not given). Days stop at 28 so every string it allows is a real date.
CREATED_TIME_PATTERN = (
    "^$|^[1-9][0-9]{3}-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])"
    "([Tt ]([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\\.[0-9]{1,9})?([Zz]|[+-]([01][0-9]|2[0-3]):[0-5][0-9]))?$"
)


def document_parameter_limits(result, generator, request, public):
    """Postprocessing hook: what the filters accept, where the generated schema leaves it out."""
    for path_item in result.get("paths", {}).values():
        for operation in path_item.values():
            for parameter in operation.get("parameters", []):
                schema = parameter.get("schema", {})
                if parameter.get("in") == "query":
                    # The contract: an empty value (`?status=`) means the parameter was not given.
                    parameter.setdefault("allowEmptyValue", True)
                if parameter["name"] in CREATED_TIME_PARAMETERS:
                    parameter["schema"] = {"type": "string", "pattern": CREATED_TIME_PATTERN}
                elif parameter.get("in") == "query" and schema.get("type") == "string" and not schema.keys() - {"type"}:
                    schema["maxLength"] = TEXT_PARAMETER_MAX_LENGTHS.get(
                        parameter["name"], TEXT_PARAMETER_DEFAULT_MAX_LENGTH
                    )
                    schema["pattern"] = PRINTABLE_PATTERN
    return result
