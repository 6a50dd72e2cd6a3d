import pytest

from tests.oidc_provider import TestProvider

WEB_CLIENT_ID, WEB_CLIENT_SECRET = "sensorium-web", "web-secret-for-the-tests"
NATIVE_CLIENT_ID = "sensorium-desktop"
NATIVE_REDIRECT_URI = "http://127.0.0.1/callback"  # any loopback port (RFC 8252 §7.3)
PROVIDER_PASSWORD = "provider-password"


def provider_settings(provider: TestProvider, *, name: str = "testid", **overrides) -> dict:
    """OIDC_PROVIDERS as project/settings.py builds it from OIDC_<NAME>_* variables."""
    return {name: {
        "name": name, "display_name": "Test ID", "issuer": provider.issuer,
        "client_id": WEB_CLIENT_ID, "client_secret": WEB_CLIENT_SECRET, "scopes": "openid email profile",
        "native_client_id": NATIVE_CLIENT_ID, "native_client_secret": "",
        "staff_claim": "", "staff_values": [], **overrides,
    }}


def provider_env(provider: TestProvider, *, name: str = "testid") -> dict[str, str]:
    """The same configuration as environment variables, for a Sensorium server process."""
    prefix = f"OIDC_{name.upper()}_"
    return {"OIDC_PROVIDERS": name, prefix + "ISSUER": provider.issuer, prefix + "DISPLAY_NAME": "Test ID",
            prefix + "CLIENT_ID": WEB_CLIENT_ID, prefix + "CLIENT_SECRET": WEB_CLIENT_SECRET,
            prefix + "NATIVE_CLIENT_ID": NATIVE_CLIENT_ID}


@pytest.fixture
def provider():
    with TestProvider() as running:
        running.client_add(NATIVE_CLIENT_ID, "", [NATIVE_REDIRECT_URI], loopback_any_port=True)
        running.user_add("carol", PROVIDER_PASSWORD, sub="carol-0001", email="carol@example.com",
                         email_verified=True, name="Carol Jones", preferred_username="carol")
        yield running


@pytest.fixture
def oidc_settings(settings, provider):
    """Sensorium configured with the test provider (web client for http://testserver)."""
    provider.client_add(WEB_CLIENT_ID, WEB_CLIENT_SECRET, ["http://testserver/accounts/oidc/testid/callback/"],
                        post_logout_redirect_uris=["http://testserver/accounts/login/"])
    settings.OIDC_PROVIDERS = provider_settings(provider)
    return settings
