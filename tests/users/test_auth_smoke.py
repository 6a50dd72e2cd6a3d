def test_login_refresh_logout_cycle(db, api_client, user, password):
    tokens = api_client.post("/api/v1/auth/login", {"username": "alice", "password": password}, format="json")
    assert tokens.status_code == 200
    access, refresh = tokens.json()["access"], tokens.json()["refresh"]

    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    assert api_client.get("/api/v1/user/profile").json()["username"] == "alice"

    assert api_client.post("/api/v1/auth/logout", {"refresh": refresh}, format="json").status_code == 205
    assert api_client.get("/api/v1/user/profile").status_code == 401
    api_client.credentials()
    again = api_client.post("/api/v1/auth/refresh", {"refresh": refresh}, format="json")
    assert again.status_code == 401


def test_wrong_password_is_401_with_message(db, api_client, user):
    response = api_client.post("/api/v1/auth/login", {"username": "alice", "password": "nope"}, format="json")
    assert response.status_code == 401
    assert response.json()["error"] == "Wrong username or password."
