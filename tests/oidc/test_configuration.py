"""OIDC_* environment variables → settings.OIDC_PROVIDERS, read by a fresh process as at start-up."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SHOW = "import django, json; django.setup(); from django.conf import settings; print(json.dumps(settings.OIDC_PROVIDERS))"


def settings_read(tmp_path, **variables: str) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if not key.startswith("OIDC_")}
    env.update(DJANGO_SETTINGS_MODULE="project.settings", SECRET_KEY="s" * 50, VAR_DIR=str(tmp_path), **variables)
    return subprocess.run([sys.executable, "-c", SHOW], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=60)


def test_google_is_a_preset_and_keycloak_is_configured_in_full(tmp_path):
    result = settings_read(
        tmp_path, OIDC_PROVIDERS="google,keycloak",
        OIDC_GOOGLE_CLIENT_ID="123.apps.googleusercontent.com", OIDC_GOOGLE_CLIENT_SECRET="g-secret",
        OIDC_KEYCLOAK_ISSUER="https://id.example.com/realms/plant", OIDC_KEYCLOAK_CLIENT_ID="sensorium",
        OIDC_KEYCLOAK_CLIENT_SECRET="k-secret", OIDC_KEYCLOAK_DISPLAY_NAME="Plant ID",
        OIDC_KEYCLOAK_SCOPES="openid email profile groups", OIDC_KEYCLOAK_STAFF_CLAIM="groups",
        OIDC_KEYCLOAK_STAFF_VALUES="sensorium-admins, plant-ops", OIDC_KEYCLOAK_NATIVE_CLIENT_ID="sensorium-desktop")
    assert result.returncode == 0, result.stderr
    providers = json.loads(result.stdout.strip().splitlines()[-1])
    assert list(providers) == ["google", "keycloak"]
    assert providers["google"] == {
        "name": "google", "display_name": "Google", "issuer": "https://accounts.google.com",
        "client_id": "123.apps.googleusercontent.com", "client_secret": "g-secret", "scopes": "openid email profile",
        "native_client_id": "123.apps.googleusercontent.com", "native_client_secret": "g-secret",
        "staff_claim": "", "staff_values": []}
    keycloak = providers["keycloak"]
    assert (keycloak["display_name"], keycloak["issuer"]) == ("Plant ID", "https://id.example.com/realms/plant")
    assert (keycloak["staff_claim"], keycloak["staff_values"]) == ("groups", ["sensorium-admins", "plant-ops"])
    # A separate native client has no secret unless one is given for it.
    assert (keycloak["native_client_id"], keycloak["native_client_secret"]) == ("sensorium-desktop", "")


def test_no_providers_by_default(tmp_path):
    result = settings_read(tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "{}"


def test_a_provider_without_its_client_id_stops_the_start_naming_the_variable(tmp_path):
    result = settings_read(tmp_path, OIDC_PROVIDERS="keycloak", OIDC_KEYCLOAK_ISSUER="https://id.example.com/realms/x")
    assert result.returncode != 0
    assert "OIDC_KEYCLOAK_CLIENT_ID is not set" in result.stderr


def test_a_bad_provider_name_is_refused(tmp_path):
    result = settings_read(tmp_path, OIDC_PROVIDERS="Key Cloak")
    assert result.returncode != 0 and "is not a provider name" in result.stderr


def test_every_per_provider_setting_is_documented():
    from django.conf import settings

    readme = (ROOT / "README.md").read_text()
    table = readme.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    example = (ROOT / ".env.example").read_text()
    assert [key for key in settings.OIDC_PROVIDER_SETTINGS if f"`OIDC_<NAME>_{key}`" not in table] == []
    assert [key for key in settings.OIDC_PROVIDER_SETTINGS if f"OIDC_GOOGLE_{key}=" not in example
            and f"OIDC_KEYCLOAK_{key}=" not in example] == []
