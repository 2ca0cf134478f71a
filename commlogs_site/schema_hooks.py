"""drf-spectacular hook: the error answers, parameter limits and empty values the contract promises."""

SIMPLE_RESPONSE = {
    "type": "object",
    "description": "Every error: `code` is the HTTP status, `message` one line naming the offending parameter.",
    "required": ["code", "message", "timestamp"],
    "properties": {
        "code": {"type": "integer", "example": 400},
        "message": {"type": "string", "example": "channel: must be one of sms, email, push"},
        "timestamp": {"type": "string", "format": "date-time", "example": "2026-04-15T10:00:05Z"},
    },
}
PAGE_INFO = {
    "type": "object",
    "required": ["page", "page_size", "total", "total_pages", "has_next", "has_prev"],
    "properties": {
        "page": {"type": "integer"},
        "page_size": {"type": "integer"},
        "total": {"type": "integer"},
        "total_pages": {"type": "integer"},
        "has_next": {"type": "boolean"},
        "has_prev": {"type": "boolean"},
    },
}
ERROR_DESCRIPTIONS = {
    "400": "A parameter is invalid; the message names it.",
    "401": "No credentials, or an unknown token or inactive user.",
    "403": "Not staff, or staff without the view permission.",
    "429": "Too many requests; see Retry-After.",
    "503": "The database is unavailable or too slow, or the read could not be audited; see Retry-After.",
}
AUTHENTICATED_ONLY = {"401", "403"}
# Exact-match text filters refuse control characters and over-long values with a 400.
PRINTABLE_PATTERN = "^[^\\u0000-\\u001f\\u007f-\\u009f]*$"
TEXT_PARAMETER_MAX_LENGTHS = {"recipient": 320}
TEXT_PARAMETER_DEFAULT_MAX_LENGTH = 64
CREATED_TIME_PARAMETERS = {"created_after", "created_before"}
# RFC 3339 or a plain date, or empty (not given). Days stop at 28 so every string it allows is a real date.
CREATED_TIME_PATTERN = (
    "^$|^[1-9][0-9]{3}-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])"
    "(T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\\.[0-9]{1,6})?(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9]))?$"
)


def is_authenticated_operation(operation):
    return any(requirement for requirement in operation.get("security", []))


def document_error_contract(result, generator, request, public):
    """Fill in what the contract promises wherever the generated schema leaves it out: error answers, limits."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas.setdefault("SimpleResponse", SIMPLE_RESPONSE)
    schemas.setdefault("PageInfo", PAGE_INFO)
    error_response = {"application/json": {"schema": {"$ref": "#/components/schemas/SimpleResponse"}}}
    for path_item in result.get("paths", {}).values():
        for operation in path_item.values():
            authenticated = is_authenticated_operation(operation)
            for status, description in ERROR_DESCRIPTIONS.items():
                if status in AUTHENTICATED_ONLY and not authenticated:
                    continue
                operation["responses"].setdefault(status, {"description": description, "content": error_response})
            for parameter in operation.get("parameters", []):
                schema = parameter.get("schema", {})
                if parameter.get("in") == "query":
                    # The contract: an empty value (`?status=`) means the parameter was not given.
                    parameter.setdefault("allowEmptyValue", True)
                if parameter["name"] in CREATED_TIME_PARAMETERS:
                    # A plain date is accepted too, meaning midnight UTC; an empty value means not given.
                    parameter["schema"] = {"type": "string", "pattern": CREATED_TIME_PATTERN}
                elif parameter.get("in") == "query" and schema.get("type") == "string" and not schema.keys() - {"type"}:
                    schema["maxLength"] = TEXT_PARAMETER_MAX_LENGTHS.get(
                        parameter["name"], TEXT_PARAMETER_DEFAULT_MAX_LENGTH
                    )
                    schema["pattern"] = PRINTABLE_PATTERN
    for name, field in schemas.get("CommunicationLog", {}).get("properties", {}).items():
        # Every item field is a string, never null; a time that does not exist yet is "".
        if field.pop("nullable", False) and field.get("format") == "date-time":
            del field["format"]
            field["description"] = f"RFC 3339 time in UTC, or an empty string while there is no {name}."
    for field in ("username", "password"):
        credential = schemas.get("AuthToken", {}).get("properties", {}).get(field)
        if credential is not None:
            credential.setdefault("minLength", 1)
    return result
