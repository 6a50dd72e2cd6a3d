"""Failed sign-in limits on the embedded setup (LocMem cache): per address and username,
per address across usernames, counted atomically, held until the window ends."""

import threading
import time

import pytest
from rest_framework.test import APIClient

from users.throttling import LOGIN_FAILURES, LOGIN_REFUSALS, LoginAttempt, LoginRefused

LOGIN = "/api/v1/auth/login"


def login(client, username="alice", password="wrong", **headers):
    return client.post(LOGIN, {"username": username, "password": password}, format="json", **headers)


@pytest.fixture
def rates(settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {
        "login_failures": "3/min", "login_failures_per_address": "6/min"}}


@pytest.fixture
def clock(monkeypatch, settings):
    """Moves time.time forward on demand: the throttle's clock and, with the local-memory
    cache this sets, its expiry clock (Redis keeps its own: the Daphne test covers Redis)."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    offset = [0.0]
    real = time.time
    monkeypatch.setattr(time, "time", lambda: real() + offset[0])

    def advance(seconds: float) -> None:
        offset[0] += seconds

    return advance


def test_the_right_password_is_refused_until_the_window_ends(user, api_client, password, rates, clock):
    for _ in range(3):
        assert login(api_client).status_code == 401
    refused = login(api_client, password=password)
    assert refused.status_code == 429
    assert 59 <= int(refused.headers["Retry-After"]) <= 60
    clock(30)
    later = login(api_client, password=password)
    assert later.status_code == 429 and 29 <= int(later.headers["Retry-After"]) <= 30
    clock(31)
    assert login(api_client, password=password).status_code == 200


def test_one_address_trying_many_usernames_is_held_for_every_account(user, api_client, password, rates):
    assert [login(api_client, username=f"user-{n}").status_code for n in range(8)] == [401] * 6 + [429] * 2
    held = login(api_client, password=password)
    assert held.status_code == 429 and int(held.headers["Retry-After"]) >= 1
    other_address = login(api_client, password=password, REMOTE_ADDR="10.0.0.9")
    assert other_address.status_code == 200


def test_a_forged_forwarded_for_header_is_not_a_new_address(user, api_client, rates):
    answers = [login(api_client, HTTP_X_FORWARDED_FOR=f"203.0.113.{n}").status_code for n in range(5)]
    assert answers == [401, 401, 401, 429, 429]


def test_requests_that_never_reach_the_password_check_take_no_slot(user, api_client, password, rates):
    for _ in range(10):
        assert api_client.post(LOGIN, {"username": "alice"}, format="json").status_code == 400
    assert login(api_client, password=password).status_code == 200


def test_refusals_and_failures_are_counted_in_the_metrics(user, api_client, rates):
    failures = LOGIN_FAILURES._value.get()
    refusals = LOGIN_REFUSALS.labels(limit="address_username")._value.get()
    for _ in range(5):
        login(api_client)
    assert LOGIN_FAILURES._value.get() - failures == 3
    assert LOGIN_REFUSALS.labels(limit="address_username")._value.get() - refusals == 2
    metrics = api_client.get("/metrics").content.decode()
    assert 'sensorium_login_refusals_total{limit="address_username"}' in metrics


def test_concurrent_attempts_take_at_most_the_limit_of_slots(db, rates):
    start = threading.Barrier(40)
    outcomes: list[str] = []

    def attempt() -> None:
        start.wait()
        try:
            LoginAttempt(address="198.51.100.7", username="alice").begin()
        except LoginRefused:
            outcomes.append("refused")
            return
        time.sleep(0.01)  # the password check: the slot is held meanwhile
        outcomes.append("checked")

    threads = [threading.Thread(target=attempt) for _ in range(40)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes.count("checked") == 3 and outcomes.count("refused") == 37


@pytest.mark.parametrize("path", ["/accounts/login/", "/admin/login/"])
def test_the_browser_and_admin_sign_in_forms_share_the_limits(staff_user, client, password, rates, path):
    for _ in range(3):
        response = client.post(path, {"username": "staff", "password": "wrong"})
        assert response.status_code == 200 and not response.wsgi_request.user.is_authenticated
    refused = client.post(path, {"username": "staff", "password": password})
    assert not refused.wsgi_request.user.is_authenticated
    assert "Too many failed sign-in attempts" in refused.content.decode()
    assert login(APIClient(), username="staff", password=password).status_code == 429


def test_a_browser_sign_in_clears_the_failures(user, client, password, rates):
    for _ in range(2):
        client.post("/accounts/login/", {"username": "alice", "password": "wrong"})
    assert client.post("/accounts/login/", {"username": "alice", "password": password}).status_code == 302
    api_client = APIClient()
    assert [login(api_client).status_code for _ in range(2)] == [401, 401]
    assert login(api_client, password=password).status_code == 200
