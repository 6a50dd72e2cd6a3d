"""POST /api/v1/auth/oidc/{provider}/token: a native client's code (or ID token) → Sensorium JWTs."""

import logging

import pytest
import requests
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session
from drf_spectacular.generators import SchemaGenerator

from tests.oidc.conftest import NATIVE_CLIENT_ID, PROVIDER_PASSWORD
from tests.oidc.helpers import query_of, refusal_reasons
from users.models import OidcIdentity, User

pytestmark = pytest.mark.django_db

TOKEN_URL = "/api/v1/auth/oidc/testid/token"
LOOPBACK = "http://127.0.0.1:53682/callback"


def native_authorization(provider, *, username: str = "carol") -> dict:
    """What a desktop app does in the system browser (RFC 8252): the code on its loopback redirect."""
    verifier, nonce = generate_token(48), generate_token(20)
    session = OAuth2Session(client_id=NATIVE_CLIENT_ID, scope="openid email profile", redirect_uri=LOOPBACK,
                            code_challenge_method="S256")
    url, state = session.create_authorization_url(f"{provider.issuer}/authorize", code_verifier=verifier,
                                                  nonce=nonce)
    redirected = query_of(provider.browser_authorize(url, username=username, password=PROVIDER_PASSWORD))
    assert redirected["state"] == state
    return {"code": redirected["code"], "code_verifier": verifier, "redirect_uri": LOOPBACK, "nonce": nonce}


def provider_id_token(provider, authorization: dict) -> str:
    """An ID token the native app got from the provider itself (platform sign-in SDKs do this)."""
    answer = requests.post(f"{provider.issuer}/token", timeout=10, data={
        "grant_type": "authorization_code", "client_id": NATIVE_CLIENT_ID, "code": authorization["code"],
        "code_verifier": authorization["code_verifier"], "redirect_uri": authorization["redirect_uri"]})
    assert answer.status_code == 200, answer.text
    return answer.json()["id_token"]


def test_a_code_gives_working_jwts(api_client, oidc_settings, provider):
    answer = api_client.post(TOKEN_URL, native_authorization(provider), format="json")

    assert answer.status_code == 200, answer.json()
    body = answer.json()
    assert (body["username"], body["created"]) == ("carol", True)
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {body['access']}")
    profile = api_client.get("/api/v1/user/profile")
    assert profile.status_code == 200
    assert (profile.json()["username"], profile.json()["email"]) == ("carol", "carol@example.com")
    api_client.credentials()
    refreshed = api_client.post("/api/v1/auth/refresh", {"refresh": body["refresh"]}, format="json")
    assert refreshed.status_code == 200 and refreshed.json()["access"]


def test_a_code_used_twice_is_refused(api_client, oidc_settings, provider, caplog):
    authorization = native_authorization(provider)
    assert api_client.post(TOKEN_URL, authorization, format="json").status_code == 200
    with caplog.at_level(logging.WARNING, logger="users.oidc"):
        again = api_client.post(TOKEN_URL, authorization, format="json")

    assert again.status_code == 400
    body = again.json()
    assert "already used" in body["details"]["code"][0]
    assert body["error"].startswith("code: Test ID refused the authorization code (invalid_grant)")
    assert authorization["code"] not in caplog.text
    assert refusal_reasons(caplog) == ["code_refused_invalid_grant"]


def test_a_wrong_code_verifier_is_refused(api_client, oidc_settings, provider):
    authorization = {**native_authorization(provider), "code_verifier": generate_token(48)}
    answer = api_client.post(TOKEN_URL, authorization, format="json")
    assert answer.status_code == 400 and "code" in answer.json()["details"]
    assert not User.objects.exists()


@pytest.mark.parametrize("fault, reason", [("tamper", "signature"), ("wrong_audience", "wrong audience"),
                                           ("expired", "expired"), ("wrong_nonce", "nonce mismatch")])
def test_a_bad_id_token_from_the_code_exchange_is_a_401(api_client, oidc_settings, provider, fault, reason):
    authorization = native_authorization(provider)
    provider.faults = {fault}
    answer = api_client.post(TOKEN_URL, authorization, format="json")
    assert answer.status_code == 401
    assert reason in answer.json()["error"]
    assert not User.objects.exists()


def test_an_id_token_with_its_nonce_gives_jwts_once(api_client, oidc_settings, provider):
    authorization = native_authorization(provider)
    id_token = provider_id_token(provider, authorization)
    answer = api_client.post(TOKEN_URL, {"id_token": id_token, "nonce": authorization["nonce"]}, format="json")
    assert answer.status_code == 200, answer.json()
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {answer.json()['access']}")
    assert api_client.get("/api/v1/user/profile").json()["username"] == "carol"

    api_client.credentials()
    replayed = api_client.post(TOKEN_URL, {"id_token": id_token, "nonce": authorization["nonce"]}, format="json")
    assert replayed.status_code == 401 and "already used" in replayed.json()["error"]


def test_an_id_token_with_another_nonce_is_refused(api_client, oidc_settings, provider):
    id_token = provider_id_token(provider, native_authorization(provider))
    answer = api_client.post(TOKEN_URL, {"id_token": id_token, "nonce": "not-the-nonce"}, format="json")
    assert answer.status_code == 401 and "nonce mismatch" in answer.json()["error"]


def test_a_web_client_id_token_is_not_accepted_for_native_sign_in(api_client, oidc_settings, provider):
    provider.faults = {"wrong_audience"}
    authorization = native_authorization(provider)
    id_token = provider_id_token(provider, authorization)
    answer = api_client.post(TOKEN_URL, {"id_token": id_token, "nonce": authorization["nonce"]}, format="json")
    assert answer.status_code == 401 and "wrong audience" in answer.json()["error"]


def test_an_unverified_email_matching_an_account_is_a_403(api_client, oidc_settings, provider, user):
    user.email = "mallory-target@example.com"
    user.save()
    provider.user_add("mallory", PROVIDER_PASSWORD, sub="m-1", email="mallory-target@example.com",
                      email_verified=False)
    answer = api_client.post(TOKEN_URL, native_authorization(provider, username="mallory"), format="json")
    assert answer.status_code == 403 and "has not verified" in answer.json()["error"]
    assert not OidcIdentity.objects.exists()


def test_the_provider_down_is_a_503(api_client, oidc_settings, provider):
    authorization = native_authorization(provider)
    provider.stop()
    answer = api_client.post(TOKEN_URL, authorization, format="json")
    assert answer.status_code == 503 and "not answering" in answer.json()["error"]


@pytest.mark.parametrize("body, field", [
    ({}, "code"),
    ({"code": "abc"}, "code_verifier"),
    ({"code": "abc", "code_verifier": "short", "redirect_uri": LOOPBACK}, "code_verifier"),
    ({"code": "abc", "code_verifier": "v" * 43, "redirect_uri": "not a url"}, "redirect_uri"),
    ({"id_token": "x.y.z"}, "nonce"),
    ({"id_token": "x.y.z", "nonce": "n", "code": "abc"}, "id_token"),
])
def test_bad_input_names_the_field(api_client, oidc_settings, body, field):
    answer = api_client.post(TOKEN_URL, body, format="json")
    assert answer.status_code == 400 and field in answer.json()["details"]


def test_a_malformed_id_token_is_a_401(api_client, oidc_settings, provider):
    answer = api_client.post(TOKEN_URL, {"id_token": "x.y.z", "nonce": "n"}, format="json")
    assert answer.status_code == 401 and "not a valid ID token" in answer.json()["error"]


def test_an_unknown_provider_is_a_404(api_client, oidc_settings):
    answer = api_client.post("/api/v1/auth/oidc/nosuch/token", {"id_token": "x", "nonce": "n"}, format="json")
    assert answer.status_code == 404 and "not configured" in answer.json()["error"]


def test_the_providers_list_tells_a_native_client_how_to_start(api_client, oidc_settings, provider):
    [listed] = api_client.get("/api/v1/auth/oidc/providers").json()
    assert listed == {"name": "testid", "display_name": "Test ID", "issuer": provider.issuer,
                      "client_id": NATIVE_CLIENT_ID, "scopes": "openid email profile",
                      "token_url": "/api/v1/auth/oidc/testid/token"}


def test_the_endpoint_and_its_errors_are_in_the_openapi_schema(db):
    schema = SchemaGenerator().get_schema(request=None, public=True)
    operation = schema["paths"]["/api/v1/auth/oidc/{provider}/token"]["post"]
    assert {"200", "400", "401", "403", "404", "503"} <= set(operation["responses"])
    assert operation["requestBody"]["content"]["application/json"]["schema"]
    assert "/api/v1/auth/oidc/providers" in schema["paths"]
