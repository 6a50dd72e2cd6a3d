"""The client's wire models against the running server's OpenAPI schema (`/api/schema/`):
for each operation the client calls, every field it reads exists with a compatible type,
everything the server marks required is modelled, and nothing the client requires is
optional on the server. Models are found by operation (and nested ones by the property
that holds them), so a renamed serializer on the server changes nothing here."""

import types
import typing
from datetime import date, datetime

import httpx
import pytest
from pydantic import BaseModel

from sensorium_client import models as m
from sensorium_client.models import ALL_MODELS, WireModel

JSON_KINDS = {str: "string", int: "integer", float: "number", bool: "boolean", datetime: "string", date: "string"}


# model -> (method, path, status) whose answer it is, or "request" for what the client sends
OPERATIONS = {
    m.TokenPair: ("post", "/api/v1/auth/login", "200"),
    m.ErrorBody: ("post", "/api/v1/auth/login", "401"),
    m.Profile: ("get", "/api/v1/user/profile", "200"),
    m.Sensor: ("get", "/api/v1/sensors/{id}", "200"),
    m.SensorCreated: ("post", "/api/v1/sensors", "201"),
    m.DeviceToken: ("post", "/api/v1/sensors/{id}/rotate-token", "200"),
    m.Command: ("post", "/api/v1/sensors/{id}/commands", "201"),
    m.Reading: ("get", "/api/v1/data/latest/{sensor_id}", "200"),
    m.IngestResult: ("post", "/api/v1/data/ingest", "202"),
    m.ReadingsPage: ("get", "/api/v1/data/{sensor_id}", "200"),
    m.DailyTotals: ("get", "/api/v1/data/{sensor_id}/daily", "200"),
    m.BlinkRecord: ("post", "/api/v1/blink/track", "request"),
    m.SyncResult: ("post", "/api/v1/blink/sync", "200"),
    m.BlinkStats: ("get", "/api/v1/blink/stats", "200"),
    m.ProductEventRecorded: ("post", "/api/v1/products/events", "201"),
    m.ProductCommandOutput: ("post", "/api/v1/products/commands", "201"),
    m.ProductDetail: ("get", "/api/v1/products/{product_id}", "200"),
    m.ExportJob: ("post", "/api/v1/exports", "202"),
}
# nested model -> (model holding it, field)
NESTED = {
    m.Vector: (m.Reading, "acceleration"), m.RejectedReading: (m.IngestResult, "rejected"),
    m.DailyTotal: (m.DailyTotals, "days"), m.RecordOutcome: (m.SyncResult, "results"),
    m.BlinkBucket: (m.BlinkStats, "buckets"), m.BlinkTotal: (m.BlinkStats, "total"),
    m.Product: (m.ProductEventRecorded, "product"), m.ProductEvent: (m.ProductEventRecorded, "event"),
    m.ParsedCommand: (m.ProductCommandOutput, "parsed"),
}


@pytest.fixture(scope="module")
def schema(server):
    response = httpx.get(f"{server.url}/api/schema/", params={"format": "json"}, timeout=30)
    response.raise_for_status()
    return response.json()


def _media_schema(content: dict) -> dict:
    return (content.get("application/json") or next(iter(content.values())))["schema"]


def schema_of(model: type[WireModel], schema: dict) -> dict:
    """The object schema the server documents for this model's place in the API."""
    components = schema["components"]["schemas"]
    if model in NESTED:
        parent, field = NESTED[model]
        prop = schema_of(parent, schema)["properties"][field]
        prop = prop.get("items", prop)
        return _resolve(prop, components)
    method, path, status = OPERATIONS[model]
    operation = schema["paths"][path][method]
    content = operation["requestBody"]["content"] if status == "request" else operation["responses"][status]["content"]
    return _resolve(_media_schema(content), components)


def _resolve(prop: dict, components: dict) -> dict:
    if "$ref" in prop:
        return _resolve(components[prop["$ref"].rsplit("/", 1)[1]], components)
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


def test_every_model_is_checked():
    assert set(ALL_MODELS) == set(OPERATIONS) | set(NESTED)


@pytest.mark.parametrize("model", ALL_MODELS, ids=lambda model: model.__name__)
def test_model_matches_the_servers_schema(model: type[WireModel], schema):
    components = schema["components"]["schemas"]
    documented = schema_of(model, schema)
    properties, required = documented["properties"], set(documented.get("required", []))
    is_request = OPERATIONS.get(model, ("", "", ""))[2] == "request"
    for name, info in model.model_fields.items():
        assert name in properties, f"{model.__name__}.{name} is not in what the server documents"
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
