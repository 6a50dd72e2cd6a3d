import pytest

from users.models import Profile, User

LOGIN = "/api/v1/auth/login"


def login(client, username="alice", password="correct-horse-battery"):
    return client.post(LOGIN, {"username": username, "password": password}, format="json")


def test_refreshed_access_token_works_and_old_refresh_is_rotated_out(user, api_client):
    tokens = login(api_client).json()
    refreshed = api_client.post("/api/v1/auth/refresh", {"refresh": tokens["refresh"]}, format="json")
    assert refreshed.status_code == 200
    assert set(refreshed.json()) == {"access", "refresh"}
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {refreshed.json()['access']}")
    assert api_client.get("/api/v1/user/profile").status_code == 200
    api_client.credentials()
    reused = api_client.post("/api/v1/auth/refresh", {"refresh": tokens["refresh"]}, format="json")
    assert reused.status_code == 401 and "refresh" in reused.json()["details"]


def test_logout_without_access_token_still_kills_the_refresh_token(user, api_client):
    refresh = login(api_client).json()["refresh"]
    assert api_client.post("/api/v1/auth/logout", {"refresh": refresh}, format="json").status_code == 205
    again = api_client.post("/api/v1/auth/refresh", {"refresh": refresh}, format="json")
    assert again.status_code == 401
    assert again.json()["details"]["refresh"]


def test_logout_with_a_garbage_token_is_400_naming_refresh(db, api_client):
    response = api_client.post("/api/v1/auth/logout", {"refresh": "garbage"}, format="json")
    assert response.status_code == 400 and "refresh" in response.json()["details"]


def test_unknown_user_gets_the_same_401_as_a_wrong_password(db, api_client):
    response = login(api_client, username="nobody")
    assert response.status_code == 401
    assert response.json()["error"] == "Wrong username or password."


def test_inactive_user_cannot_sign_in(user, api_client):
    user.is_active = False
    user.save()
    assert login(api_client).status_code == 401


def test_repeated_failures_are_throttled_but_other_accounts_are_not(user, other_user, api_client, settings):
    for _ in range(5):
        assert login(api_client, password="wrong").status_code == 401
    blocked = login(api_client)
    assert blocked.status_code == 429
    assert blocked.json()["error"].startswith("Too many failed sign-in attempts")
    assert "Retry-After" in blocked.headers
    assert login(api_client, username="bob").status_code == 200


def test_a_successful_sign_in_clears_earlier_failures(user, api_client):
    for _ in range(4):
        login(api_client, password="wrong")
    assert login(api_client).status_code == 200
    for _ in range(4):
        assert login(api_client, password="wrong").status_code == 401
    assert login(api_client).status_code == 200


@pytest.mark.parametrize("raw", ["[1, 2]", '"alice"', "42", "null", "{bad json", ""])
def test_login_with_a_body_that_is_not_an_object_is_400(db, api_client, raw):
    response = api_client.generic("POST", LOGIN, raw, content_type="application/json")
    assert response.status_code == 400, response.content
    assert response.json()["error"]


@pytest.mark.parametrize("body, field", [({"password": "x"}, "username"), ({"username": "alice"}, "password"),
                                         ({"username": ["alice"], "password": "x"}, "username")])
def test_login_with_a_missing_or_wrong_typed_field_names_it(db, api_client, body, field):
    response = api_client.post(LOGIN, body, format="json")
    assert response.status_code == 400
    assert field in response.json()["details"]


def test_every_new_user_gets_a_profile(db):
    user = User.objects.create_user("carol", password="x" * 12, first_name="Carol", last_name="King")
    assert Profile.objects.get(user=user).display_name == "Carol King"


def test_profile_read(user, alice_client):
    body = alice_client.get("/api/v1/user/profile").json()
    assert body == {"username": "alice", "email": "alice@example.com", "is_staff": False,
                    "display_name": "", "timezone": "UTC", "preferences": {}}


def test_profile_update(user, alice_client):
    patch = {"display_name": "Alice A.", "timezone": "Europe/Berlin", "preferences": {"theme": "dark"}}
    response = alice_client.patch("/api/v1/user/profile", patch, format="json")
    assert response.status_code == 200
    user.profile.refresh_from_db()
    assert (user.profile.display_name, user.profile.timezone, user.profile.preferences) == (
        "Alice A.", "Europe/Berlin", {"theme": "dark"})


def test_profile_cannot_promote_oneself(user, alice_client):
    alice_client.patch("/api/v1/user/profile", {"is_staff": True, "username": "root"}, format="json")
    user.refresh_from_db()
    assert not user.is_staff and user.username == "alice"


@pytest.mark.parametrize("patch, field", [({"timezone": "Mars/Olympus"}, "timezone"),
                                          ({"preferences": [1, 2]}, "preferences"),
                                          ({"display_name": "x" * 151}, "display_name")])
def test_profile_bad_values_are_400_naming_the_field(user, alice_client, patch, field):
    response = alice_client.patch("/api/v1/user/profile", patch, format="json")
    assert response.status_code == 400 and field in response.json()["details"]


def test_profile_put_is_not_allowed(user, alice_client):
    assert alice_client.put("/api/v1/user/profile", {"display_name": "x"}, format="json").status_code == 405


def test_profile_needs_authentication(db, api_client):
    response = api_client.get("/api/v1/user/profile")
    assert response.status_code == 401
    assert response.json() == {"error": "Authentication credentials were not provided.", "details": {}}


def test_an_invalid_bearer_token_is_401_with_a_readable_message(db, api_client):
    api_client.credentials(HTTP_AUTHORIZATION="Bearer not.a.jwt")
    response = api_client.get("/api/v1/user/profile")
    assert response.status_code == 401
    assert response.json() == {"error": "Given token not valid for any token type", "details": {}}


def test_browser_session_sign_in_reaches_the_api(user, client, password):
    response = client.post("/accounts/login/", {"username": "alice", "password": password})
    assert response.status_code == 302
    assert client.get("/api/v1/user/profile").json()["username"] == "alice"


def test_cors_allows_only_configured_origins(db, client, settings):
    settings.CORS_ALLOWED_ORIGINS = ["https://app.example.com"]
    allowed = client.options(LOGIN, HTTP_ORIGIN="https://app.example.com", HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST")
    assert allowed.headers.get("Access-Control-Allow-Origin") == "https://app.example.com"
    other = client.options(LOGIN, HTTP_ORIGIN="https://evil.example.com", HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST")
    assert "Access-Control-Allow-Origin" not in other.headers
