from urllib.parse import parse_qs, urlsplit

from django.contrib.messages import get_messages

from tests.oidc.conftest import PROVIDER_PASSWORD


def local_path(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def provider_round_trip(client, provider, *, start: str = "/accounts/oidc/testid/login/", username: str = "carol",
                        decision: str = "allow", data: dict | None = None) -> str:
    """Press the button, sign in and consent at the provider; return the callback path it sends back."""
    started = client.post(start, data or {})
    assert started.status_code == 302, started.content[:300]
    assert started["Location"].startswith(provider.issuer), started["Location"]
    return local_path(provider.browser_authorize(started["Location"], username=username,
                                                 password=PROVIDER_PASSWORD, decision=decision))


def sign_in_with_provider(client, provider, **kwargs):
    """The whole browser flow; returns the callback's response."""
    return client.get(provider_round_trip(client, provider, **kwargs))


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def query_of(url: str) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}


def refusal_reasons(caplog) -> list[str]:
    """The reason codes of the refusals logged (each refusal logs one line)."""
    return [record.oidc_reason for record in caplog.records if hasattr(record, "oidc_reason")]
