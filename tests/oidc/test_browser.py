"""Sign in with the test provider in headless Chromium against a real Daphne."""

import pytest
from playwright.sync_api import expect

from tests.browser import chromium_page, screenshot, sign_in
from tests.oidc.conftest import PROVIDER_PASSWORD, WEB_CLIENT_ID, WEB_CLIENT_SECRET, provider_env
from tests.servers import daphne_server, free_port
from users.models import OidcIdentity, User

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def server(provider):
    port = free_port()
    provider.client_add(WEB_CLIENT_ID, WEB_CLIENT_SECRET, [f"http://127.0.0.1:{port}/accounts/oidc/testid/callback/"],
                        post_logout_redirect_uris=[f"http://127.0.0.1:{port}/accounts/login/"])
    with daphne_server(port=port, **provider_env(provider)) as daphne:
        yield daphne


def test_sign_in_with_the_provider_and_out_again(server, provider):
    with chromium_page() as page:
        page.goto(f"{server.url}/accounts/login/?next=/wellness/")
        button = page.get_by_role("button", name="Sign in with Test ID")
        expect(button).to_be_visible()
        screenshot(page, "oidc-login-page.png")

        button.click()
        expect(page.get_by_role("heading", name="Sign in", level=2)).to_be_visible()  # at the provider
        page.get_by_label("Email or username").fill("carol")
        page.get_by_label("Password").fill(PROVIDER_PASSWORD)
        page.get_by_role("button", name="Continue").click()
        expect(page.get_by_text("sensorium-web asks to know who you are")).to_be_visible()
        screenshot(page, "oidc-provider-consent.png")
        page.get_by_role("button", name="Allow").click()

        expect(page.get_by_role("heading", name="Wellness", level=1)).to_be_visible()
        assert page.url == f"{server.url}/wellness/"
        expect(page.get_by_text("Welcome! Your Sensorium account carol was created with Test ID.")).to_be_visible()
        expect(page.get_by_role("link", name="Carol Jones")).to_be_visible()
        screenshot(page, "oidc-signed-in.png")

        page.get_by_role("link", name="Carol Jones").click()
        expect(page.get_by_role("button", name="Unlink Test ID")).to_be_visible()
        screenshot(page, "oidc-account.png")

        page.get_by_role("button", name="Sign out", exact=True).click()
        expect(page.get_by_role("heading", name="Signed out")).to_be_visible()
        screenshot(page, "oidc-signed-out.png")
        page.get_by_role("button", name="Sign out of Test ID too").click()
        expect(page.get_by_role("heading", name="Sign in", level=1)).to_be_visible()  # back on Sensorium
        assert page.url.startswith(f"{server.url}/accounts/login/")

    assert [ended["sub"] for ended in provider.ended_sessions] == ["carol-0001"]
    identity = OidcIdentity.objects.select_related("user").get(provider="testid")
    assert (identity.subject, identity.user.email) == ("carol-0001", "carol@example.com")


def test_a_refused_sign_in_is_explained_and_local_sign_in_still_works(server, provider, user, password):
    provider.faults = {"tamper"}
    with chromium_page() as page:
        page.goto(f"{server.url}/accounts/login/")
        page.get_by_role("button", name="Sign in with Test ID").click()
        page.get_by_label("Email or username").fill("carol")
        page.get_by_label("Password").fill(PROVIDER_PASSWORD)
        page.get_by_role("button", name="Continue").click()
        page.get_by_role("button", name="Allow").click()
        expect(page.get_by_text("failed its signature check")).to_be_visible()
        expect(page.get_by_role("button", name="Sign out")).to_have_count(0)
        screenshot(page, "oidc-refused.png")

        provider.stop()
        page.get_by_role("button", name="Sign in with Test ID").click()
        expect(page.get_by_text("Test ID is not answering right now")).to_be_visible()
        screenshot(page, "oidc-provider-down.png")
        sign_in(page, server.url, user.username, password)

    assert not User.objects.filter(email="carol@example.com").exists()
