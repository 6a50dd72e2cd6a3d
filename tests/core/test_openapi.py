import re

import pytest
from drf_spectacular.generators import SchemaGenerator


@pytest.fixture(scope="module")
def schema():
    return SchemaGenerator().get_schema(request=None, public=True)


def operations(schema):
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            yield path, method, operation


def test_schema_is_served_as_openapi_3(db, client):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    assert response.json()["openapi"].startswith("3.")


def test_every_endpoint_in_issue_2_is_documented(schema):
    documented = {(path, method) for path, method, _ in operations(schema)}
    expected = {("/api/v1/auth/login", "post"), ("/api/v1/auth/refresh", "post"), ("/api/v1/auth/logout", "post"),
                ("/api/v1/user/profile", "get"), ("/api/v1/user/profile", "patch"),
                ("/api/v1/sensors", "get"), ("/api/v1/sensors", "post"), ("/api/v1/sensors/{id}", "get"),
                ("/api/v1/sensors/{id}", "put"), ("/api/v1/sensors/{id}", "patch"),
                ("/api/v1/sensors/{id}", "delete"), ("/api/v1/sensors/{id}/rotate-token", "post")}
    assert expected <= documented


def test_every_operation_documents_its_errors_in_the_one_shape(schema):
    error = schema["components"]["schemas"]["Error"]
    assert error["required"] == ["error", "details"]
    for path, method, operation in operations(schema):
        errors = {code: response for code, response in operation["responses"].items() if code[0] == "4"}
        assert errors, (method, path)
        for code, response in errors.items():
            body = response["content"]["application/json"]["schema"]
            if code != "422":  # ingest's per-reading rejections have their own documented shape
                assert body == {"$ref": "#/components/schemas/Error"}, (method, path, code)


def test_errors_match_what_each_operation_can_give(schema):
    sensors = schema["paths"]["/api/v1/sensors/{id}"]
    assert {"400", "401", "404", "409"} <= set(sensors["patch"]["responses"])
    assert "400" not in sensors["delete"]["responses"]
    login = schema["paths"]["/api/v1/auth/login"]["post"]["responses"]
    assert {"400", "401", "429"} <= set(login) and "409" not in login


def test_sensor_create_documents_the_token_shown_once(schema):
    created = schema["paths"]["/api/v1/sensors"]["post"]["responses"]["201"]["content"]["application/json"]["schema"]
    component = schema["components"]["schemas"][created["$ref"].rsplit("/", 1)[-1]]
    assert "token" in component["properties"]


def test_swagger_ui_works_offline(db, client):
    page = client.get("/docs")
    assert page.status_code == 200
    html = page.content.decode()
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert assets and not [url for url in assets if url.startswith(("http:", "https:", "//"))], assets
    bundle = next(url for url in assets if url.endswith("swagger-ui-bundle.js"))
    served = client.get(bundle)
    assert served.status_code == 200
    assert b"".join(served.streaming_content if served.streaming else [served.content])


def test_every_operation_documents_its_success_body(schema):
    for path, method, operation in operations(schema):
        successes = {code: response for code, response in operation["responses"].items() if code[0] == "2"}
        assert successes, (method, path)
        for code, response in successes.items():
            if code not in ("204", "205"):
                assert response.get("content"), (method, path, code)


def test_every_write_with_input_documents_its_request_body(schema):
    bodiless_actions = {"/api/v1/sensors/{id}/rotate-token"}
    for path, method, operation in operations(schema):
        if method in ("post", "put", "patch") and path not in bodiless_actions:
            assert operation.get("requestBody", {}).get("content"), (method, path)
