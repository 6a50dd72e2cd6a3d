"""Linking and unlinking a provider on the account page; logout with RP-initiated logout."""

import pytest
import requests

from tests.oidc.helpers import messages_of, query_of, sign_in_with_provider
from users.models import OidcIdentity

pytestmark = pytest.mark.django_db

LINK = "/accounts/oidc/testid/link/"
UNLINK = "/accounts/oidc/testid/unlink/"


def test_a_password_user_links_and_unlinks_a_provider(client, oidc_settings, provider, user):
    client.force_login(user)
    page = client.get("/account/")
    assert page.status_code == 200 and b"Link Test ID" in page.content

    linked = sign_in_with_provider(client, provider, start=LINK)
    assert linked["Location"] == "/account/"
    assert "Test ID is linked" in messages_of(linked)[0]
    assert OidcIdentity.objects.get(user=user).subject == "carol-0001"
    assert b"Unlink Test ID" in client.get("/account/").content

    client.logout()
    sign_in_with_provider(client, provider)  # the provider now signs Alice in
    assert int(client.session["_auth_user_id"]) == user.pk

    unlinked = client.post(UNLINK)
    assert "Test ID is unlinked" in messages_of(unlinked)[-1]
    assert not OidcIdentity.objects.exists()
    assert b"Link Test ID" in client.get("/account/").content


def test_an_identity_linked_to_someone_else_cannot_be_linked_again(client, oidc_settings, provider, user,
                                                                   other_user):
    sign_in_with_provider(client, provider)  # creates carol's account with this identity
    client.logout()
    client.force_login(other_user)
    refused = sign_in_with_provider(client, provider, start=LINK)
    assert "already linked to another Sensorium user" in messages_of(refused)[-1]
    assert not OidcIdentity.objects.filter(user=other_user).exists()


def test_the_only_way_to_sign_in_cannot_be_unlinked(client, oidc_settings, provider):
    sign_in_with_provider(client, provider)  # an account without a password
    refused = client.post(UNLINK)
    assert "This is your only way to sign in" in messages_of(refused)[-1]
    assert OidcIdentity.objects.count() == 1


def test_linking_needs_a_signed_in_user(client, oidc_settings):
    assert client.post(LINK)["Location"].startswith("/accounts/login/")


def test_the_account_page_saves_the_profile(client, oidc_settings, user):
    client.force_login(user)
    saved = client.post("/account/", {"display_name": "Alice A.", "timezone": "Europe/Berlin"})
    assert saved.status_code == 302
    user.profile.refresh_from_db()
    assert (user.profile.display_name, user.profile.timezone) == ("Alice A.", "Europe/Berlin")
    refused = client.post("/account/", {"display_name": "x", "timezone": "Mars/Olympus"})
    assert refused.status_code == 200 and b"Unknown time zone" in refused.content


def test_logout_offers_to_sign_out_at_the_provider_too(client, oidc_settings, provider):
    sign_in_with_provider(client, provider)
    signed_out = client.post("/accounts/logout/")
    assert "_auth_user_id" not in client.session
    assert b"Sign out of Test ID too" in signed_out.content

    to_provider = client.post("/accounts/oidc/logout/")
    assert to_provider.status_code == 302
    assert to_provider["Location"].startswith(f"{provider.issuer}/logout?")
    assert query_of(to_provider["Location"])["post_logout_redirect_uri"] == "http://testserver/accounts/login/"
    back = requests.get(to_provider["Location"], allow_redirects=False, timeout=10)
    assert back.status_code == 302 and back.headers["Location"].startswith("http://testserver/accounts/login/")
    assert [ended["sub"] for ended in provider.ended_sessions] == ["carol-0001"]
    # The offer is used once.
    assert client.post("/accounts/oidc/logout/")["Location"] == "/accounts/login/"


def test_no_offer_when_the_provider_has_no_end_session_endpoint(client, oidc_settings, provider):
    provider.end_session = False
    sign_in_with_provider(client, provider)
    assert b"Sign out of Test ID" not in client.post("/accounts/logout/").content


def test_no_offer_after_a_password_sign_in(client, oidc_settings, user, password):
    client.post("/accounts/login/", {"username": user.username, "password": password})
    assert b"Sign out of" not in client.post("/accounts/logout/").content
