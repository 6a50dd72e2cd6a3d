"""OpenAPI (drf-spectacular): component names for nested serializers, and the one error
shape documented on every operation.

Views nest their serializers (`ReadingsApi.OutputSerializer`); their components are named
after the view (`ReadingsOutput`), since every view's are called InputSerializer and
OutputSerializer.

Paths are listed in the one style the SPEC uses, without a trailing slash
(core.middleware.ApiTrailingSlashMiddleware serves both spellings of every API path).

Views document their successes; the errors every endpoint can give come from the shared
machinery (validation, authentication, lookups, body limits, core/errors.py), so they
are added here once, each pointing at the `Error` component. A response an operation
documents itself is kept; one documented with a description only gets the error body.
"""

from typing import Any

from drf_spectacular import openapi


class AutoSchema(openapi.AutoSchema):
    def get_serializer_name(self, serializer, direction) -> str:
        """`ReadingsApi.OutputSerializer` -> `ReadingsOutput`; `DailyTotalsApi.OutputSerializer.DaySerializer`
        -> `DailyTotalsOutputDay`; a module-level serializer keeps its class name."""
        owners = type(serializer).__qualname__.split(".")
        if len(owners) == 1 or "<locals>" in owners:
            return super().get_serializer_name(serializer, direction)
        return "".join(name.removesuffix("Api").removesuffix("Serializer") for name in owners)

ERROR_COMPONENT = {
    "type": "object",
    "description": 'Every error: `{"error": "<one line>", "details": {"<field>": ["<message>"]}}`.',
    "properties": {
        "error": {"type": "string", "description": "One line saying what went wrong."},
        "details": {"$ref": "#/components/schemas/ErrorDetails"},
    },
    "required": ["error", "details"],
    "example": {"error": "mac_address: Enter a MAC address as six hex pairs, e.g. AA:BB:CC:DD:EE:FF.",
                "details": {"mac_address": ["Enter a MAC address as six hex pairs, e.g. AA:BB:CC:DD:EE:FF."]}},
}

ERROR_DETAILS_COMPONENT = {
    "type": "object",
    "description": "Messages per field (a nested object for a nested field); empty when no field is to blame.",
    "additionalProperties": {
        "oneOf": [{"type": "array", "items": {"type": "string"}}, {"$ref": "#/components/schemas/ErrorDetails"}],
    },
}

DESCRIPTIONS = {
    "400": "Invalid input: malformed JSON, a wrong type, an unknown value; `details` names each field.",
    "401": "Missing, invalid, expired or revoked credentials.",
    "403": "Signed in, but not allowed to do this.",
    "404": "No such object, or it belongs to someone else.",
    "409": "Conflicts with something stored meanwhile (e.g. a unique value taken); `details` names the field.",
    "413": "Request body larger than DATA_UPLOAD_MAX_MEMORY_SIZE.",
    "415": "Body is not JSON (send `Content-Type: application/json`).",
}
WRITE_METHODS = {"post", "put", "patch"}
ERROR_REF = {"$ref": "#/components/schemas/Error"}


def _statuses_for(path: str, method: str, operation: dict[str, Any]) -> list[str]:
    statuses = []
    has_body = method in WRITE_METHODS and "requestBody" in operation
    if has_body or any(param.get("in") == "query" for param in operation.get("parameters", [])):
        statuses.append("400")
    anonymous_allowed = any(requirement == {} for requirement in operation.get("security", [{}]))
    if not anonymous_allowed:
        statuses += ["401", "403"]
    if "{" in path:
        statuses.append("404")
    if method in WRITE_METHODS and not anonymous_allowed:
        statuses.append("409")
    if has_body:
        statuses += ["413", "415"]
    return statuses


def paths_without_trailing_slash(result: dict[str, Any], generator, request, public) -> dict[str, Any]:
    paths = result.get("paths", {})
    result["paths"] = {path.rstrip("/") or path: methods for path, methods in paths.items()}
    if len(result["paths"]) != len(paths):
        raise ValueError("Two API paths differ only by a trailing slash; keep one.")
    return result


def one_of_members_closed(result: dict[str, Any], generator, request, public) -> dict[str, Any]:
    """A `oneOf` without a discriminator holds a value that matches exactly one member: object
    members that are open to extra properties would all match a row with a few fields in
    common, so they are closed (`additionalProperties: false`)."""
    schemas = result.get("components", {}).get("schemas", {})
    for schema in list(schemas.values()):
        if "oneOf" not in schema or "discriminator" in schema:
            continue
        for member in schema["oneOf"]:
            target = schemas.get(member.get("$ref", "").rsplit("/", 1)[-1], {})
            if target.get("type") == "object" and "properties" in target:
                target["additionalProperties"] = False
    return result


def error_responses_document(result: dict[str, Any], generator, request, public) -> dict[str, Any]:
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas["Error"], schemas["ErrorDetails"] = ERROR_COMPONENT, ERROR_DETAILS_COMPONENT
    for path, methods in result.get("paths", {}).items():
        for method, operation in methods.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            responses = operation["responses"]
            for code in _statuses_for(path, method, operation):
                responses.setdefault(code, {"description": DESCRIPTIONS[code]})
            for code, response in responses.items():
                if str(code)[0] in "45" and not response.get("content"):
                    response["content"] = {"application/json": {"schema": ERROR_REF}}
    return result
