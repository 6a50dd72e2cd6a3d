"""The client's wire models against the running server's OpenAPI schema (`/api/schema/`):
every field the client reads exists with a compatible type, everything the server marks
required is modelled, and nothing the client requires is optional on the server."""

import types
import typing
from datetime import date, datetime

import httpx
import pytest
from pydantic import BaseModel

from sensorium_client.models import ALL_MODELS, WireModel

JSON_KINDS = {str: "string", int: "integer", float: "number", bool: "boolean", datetime: "string", date: "string"}


@pytest.fixture(scope="module")
def components(server):
    response = httpx.get(f"{server.url}/api/schema/", params={"format": "json"}, timeout=30)
    response.raise_for_status()
    return response.json()["components"]["schemas"]


def _resolve(prop: dict, components: dict) -> dict:
    if "$ref" in prop:
        return components[prop["$ref"].rsplit("/", 1)[1]]
    for combinator in ("allOf", "oneOf"):
        if combinator in prop:
            options = [_resolve(option, components) for option in prop[combinator]]
            merged = {"enum": [v for option in options for v in option.get("enum", [])]} if all(
                "enum" in option for option in options) else options[0]
            return {**merged, "nullable": prop.get("nullable", False)}
    return prop


def _kinds(annotation) -> tuple[set[str], bool, set | None]:
    """JSON kinds a Python annotation accepts, whether None is allowed, the Literal values."""
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        kinds, nullable, literals = set(), False, None
        for arg in typing.get_args(annotation):
            if arg is type(None):
                nullable = True
                continue
            inner, inner_null, inner_literals = _kinds(arg)
            kinds |= inner
            nullable |= inner_null
            literals = inner_literals if literals is None else (literals | (inner_literals or set()))
        return kinds, nullable, literals
    if origin is typing.Literal:
        return {"string"}, False, set(typing.get_args(annotation))
    if origin is list:
        return {"array"}, False, None
    if origin is dict:
        return {"object"}, False, None
    if annotation is typing.Any:
        return {"string", "integer", "number", "boolean", "array", "object", "any"}, True, None
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return {"object"}, False, None
    kind = JSON_KINDS[annotation]
    return ({"integer", "number"} if kind == "number" else {kind}), False, None


@pytest.mark.parametrize("model", ALL_MODELS, ids=lambda model: model.SCHEMA_NAME)
def test_model_matches_the_servers_schema(model: type[WireModel], components):
    assert model.SCHEMA_NAME in components, f"the server has no schema {model.SCHEMA_NAME}"
    schema = components[model.SCHEMA_NAME]
    properties, required = schema["properties"], set(schema.get("required", []))
    is_request = model.SCHEMA_NAME.endswith("Request")
    for name, info in model.model_fields.items():
        assert name in properties, f"{model.__name__}.{name} is not in the server's {model.SCHEMA_NAME}"
        prop = _resolve(properties[name], components)
        kinds, nullable, literals = _kinds(info.annotation)
        server_kind = prop.get("type") or ("string" if "enum" in prop else "any")
        assert server_kind in kinds or "any" in kinds or server_kind == "any", (
            f"{model.__name__}.{name}: server says {server_kind}, client accepts {kinds}")
        if prop.get("nullable") or properties[name].get("nullable"):
            assert nullable, f"{model.__name__}.{name} may be null on the server"
        if literals is not None and "enum" in prop:
            assert set(prop["enum"]) - {""} == literals - {""}, f"{model.__name__}.{name}: enum differs"
        if info.is_required():
            assert name in required, f"{model.__name__}.{name} is required by the client, optional on the server"
    missing = required - set(model.model_fields)
    assert not missing, f"{model.__name__} lacks the server's required {sorted(missing)}"
    if is_request:
        client_required = {name for name, info in model.model_fields.items() if info.is_required()}
        assert client_required == required
