"""The browser flow against the real test provider over HTTP (the person's browser is a
requests session at the provider and Django's test client at Sensorium)."""

import logging

import pytest

from tests.oidc.helpers import messages_of, provider_round_trip, refusal_reasons, sign_in_with_provider
from users.models import OidcIdentity, User

pytestmark = pytest.mark.django_db


def test_the_login_page_has_a_button_per_provider(client, oidc_settings):
    page = client.get("/accounts/login/")
    assert page.status_code == 200
    assert b"Sign in with Test ID" in page.content
    assert b'action="/accounts/oidc/testid/login/"' in page.content


def test_no_provider_configured_shows_no_button(client, settings):
    settings.OIDC_PROVIDERS = {}
    assert b"Sign in with" not in client.get("/accounts/login/").content


def test_first_sign_in_creates_an_account_and_signs_in(client, oidc_settings, provider):
    callback = sign_in_with_provider(client, provider, data={"next": "/wellness/"})

    assert callback.status_code == 302 and callback["Location"] == "/wellness/"
    user = User.objects.get(email="carol@example.com")
    assert (user.username, user.profile.display_name, user.is_staff) == ("carol", "Carol Jones", False)
    assert not user.has_usable_password()
    assert OidcIdentity.objects.get(user=user).subject == "carol-0001"
    assert "Welcome! Your Sensorium account carol was created with Test ID." in messages_of(callback)
    overview = client.get("/")
    assert overview.status_code == 200 and b"Carol Jones" in overview.content


def test_the_next_sign_in_finds_the_same_account(client, oidc_settings, provider):
    sign_in_with_provider(client, provider)
    client.logout()
    callback = sign_in_with_provider(client, provider)
    assert callback.status_code == 302
    assert User.objects.filter(email="carol@example.com").count() == 1
    assert int(client.session["_auth_user_id"]) == User.objects.get(username="carol").pk


def test_a_verified_email_links_the_existing_account(client, oidc_settings, provider, user):
    user.email = "Carol@Example.com"
    user.save()
    sign_in_with_provider(client, provider)
    assert int(client.session["_auth_user_id"]) == user.pk
    assert OidcIdentity.objects.get(subject="carol-0001").user == user
    assert User.objects.count() == 1


def test_an_unverified_email_matching_an_account_is_refused(client, oidc_settings, provider, user, caplog):
    user.email = "mallory-target@example.com"
    user.save()
    provider.user_add("mallory", "provider-password", sub="mallory-1", email="mallory-target@example.com",
                      email_verified=False, name="Mallory")
    with caplog.at_level(logging.WARNING, logger="users.oidc"):
        callback = sign_in_with_provider(client, provider, username="mallory")

    assert callback.status_code == 302 and callback["Location"] == "/accounts/login/"
    assert "_auth_user_id" not in client.session
    assert not OidcIdentity.objects.exists()
    [message] = messages_of(callback)
    assert "has not verified that this email is yours" in message
    assert refusal_reasons(caplog) == ["unverified_email_matches_account"]


def test_an_unverified_email_with_no_account_gets_a_new_account_without_it(client, oidc_settings, provider):
    provider.user_add("dave", "provider-password", sub="dave-1", email="dave@example.com", email_verified=False)
    sign_in_with_provider(client, provider, username="dave")
    created = OidcIdentity.objects.get(subject="dave-1").user
    assert created.email == ""  # an unverified address never becomes the account's email


def test_staff_comes_only_from_the_explicit_mapping(client, oidc_settings, provider):
    provider.user_add("erin", "provider-password", sub="erin-1", email="erin@example.com", email_verified=True,
                      groups=["sensorium-admins"], is_staff=True)
    oidc_settings.OIDC_PROVIDERS["testid"]["scopes"] = "openid email profile groups"
    sign_in_with_provider(client, provider, username="erin")
    assert User.objects.get(email="erin@example.com").is_staff is False

    client.logout()
    oidc_settings.OIDC_PROVIDERS["testid"].update(staff_claim="groups", staff_values=["sensorium-admins"])
    sign_in_with_provider(client, provider, username="erin")
    erin = User.objects.get(email="erin@example.com")
    assert (erin.is_staff, erin.is_superuser) == (True, False)


FAULTS = [
    ("tamper", "failed its signature check", "bad_signature"),
    ("wrong_audience", "wrong audience", "wrong_audience"),
    ("expired", "has expired", "expired"),
    ("wrong_nonce", "nonce mismatch", "nonce_mismatch"),
    ("wrong_issuer", "comes from another issuer", "wrong_issuer"),
]


@pytest.mark.parametrize("fault, message, reason", FAULTS, ids=[fault for fault, _, _ in FAULTS])
def test_a_bad_id_token_is_refused_with_a_message_and_a_log_line(client, oidc_settings, provider, caplog,
                                                                 fault, message, reason):
    provider.faults = {fault}
    with caplog.at_level(logging.WARNING, logger="users.oidc"):
        callback = sign_in_with_provider(client, provider)

    assert callback.status_code == 302 and callback["Location"] == "/accounts/login/"
    assert "_auth_user_id" not in client.session
    assert not User.objects.exists()
    [shown] = messages_of(callback)
    assert message in shown
    assert refusal_reasons(caplog) == [reason]
    assert "eyJ" not in caplog.text  # no token (a JWT starts so) ever reaches the log
    login_page = client.get("/accounts/login/")
    assert message in login_page.content.decode()


def test_a_replayed_callback_is_refused(client, oidc_settings, provider, caplog):
    callback_path = provider_round_trip(client, provider)
    assert client.get(callback_path).status_code == 302
    client.logout()
    with caplog.at_level(logging.WARNING, logger="users.oidc"):
        replayed = client.get(callback_path)
    assert "_auth_user_id" not in client.session
    assert "was already completed" in messages_of(replayed)[0]
    assert refusal_reasons(caplog) == ["state_mismatch"]


def test_a_forged_state_is_refused(client, oidc_settings, provider, caplog):
    callback_path = provider_round_trip(client, provider)
    forged = callback_path.replace("state=", "state=forged")
    with caplog.at_level(logging.WARNING, logger="users.oidc"):
        client.get(forged)
    assert "_auth_user_id" not in client.session
    assert refusal_reasons(caplog) == ["state_mismatch"]


def test_consent_denied_at_the_provider_says_so(client, oidc_settings, provider):
    callback = sign_in_with_provider(client, provider, decision="deny")
    assert "_auth_user_id" not in client.session
    assert "Test ID did not sign you in" in messages_of(callback)[0]


def test_email_missing_from_the_id_token_is_read_from_userinfo(client, oidc_settings, provider):
    provider.faults = {"minimal_id_token"}
    sign_in_with_provider(client, provider)
    identity = OidcIdentity.objects.get(subject="carol-0001")
    assert (identity.user.email, identity.email) == ("carol@example.com", "carol@example.com")


def test_with_the_provider_down_the_login_page_works_for_local_users(client, oidc_settings, provider, user,
                                                                     password, caplog):
    provider.stop()
    page = client.get("/accounts/login/")
    assert page.status_code == 200 and b"Sign in with Test ID" in page.content

    with caplog.at_level(logging.WARNING, logger="users.oidc"):
        started = client.post("/accounts/oidc/testid/login/")
    assert started.status_code == 302 and started["Location"] == "/accounts/login/"
    assert "Test ID is not answering right now" in messages_of(started)[0]
    assert refusal_reasons(caplog) == ["provider_unavailable"]

    signed_in = client.post("/accounts/login/", {"username": user.username, "password": password})
    assert signed_in.status_code == 302 and int(client.session["_auth_user_id"]) == user.pk


def test_the_provider_going_down_mid_sign_in_is_refused_cleanly(client, oidc_settings, provider):
    callback_path = provider_round_trip(client, provider)
    provider.stop()
    callback = client.get(callback_path)
    assert callback.status_code == 302 and "_auth_user_id" not in client.session
    assert "Test ID is not answering right now" in messages_of(callback)[0]


def test_an_unknown_provider_is_refused(client, oidc_settings):
    started = client.post("/accounts/oidc/nosuch/login/")
    assert started.status_code == 302
    assert "not configured" in messages_of(started)[0]


def test_an_open_redirect_in_next_is_ignored(client, oidc_settings, provider):
    callback = sign_in_with_provider(client, provider, data={"next": "https://evil.example/"})
    assert callback["Location"] == "/"
