"""Brute force against a real Daphne process sharing Redis as the cache: concurrent guesses
for one account and a spray over many accounts from one address."""

import asyncio
import time
import urllib.request
from collections import Counter

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.factories import UserFactory
from tests.servers import daphne_server

pytestmark = [pytest.mark.services, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

LOGIN = "/api/v1/auth/login"
RATES = {"LOGIN_FAILURE_RATE": "5/min", "LOGIN_FAILURE_RATE_PER_ADDRESS": "20/min"}


def metric(server, name: str, **labels: str) -> float:
    with urllib.request.urlopen(f"{server.url}/metrics", timeout=10) as response:
        text = response.read().decode()
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                return sample.value
    return 0.0


async def logins_at_once(url: str, bodies: list[dict]) -> list[httpx.Response]:
    limits = httpx.Limits(max_connections=len(bodies), max_keepalive_connections=0)
    async with httpx.AsyncClient(base_url=url, timeout=60, limits=limits) as client:
        return await asyncio.gather(*(client.post(LOGIN, json=body) for body in bodies))


def test_fifty_concurrent_wrong_passwords_let_five_reach_the_check_then_the_right_one_waits_for_the_window(password):
    UserFactory(username="alice")
    with daphne_server(**RATES) as server:
        answers = asyncio.run(logins_at_once(server.url, [{"username": "alice", "password": f"guess-{n}"}
                                                          for n in range(50)]))
        statuses = Counter(answer.status_code for answer in answers)
        assert statuses == {401: 5, 429: 45}, statuses
        assert metric(server, "sensorium_login_failures_total") == 5
        assert metric(server, "sensorium_login_refusals_total", limit="address_username") == 45

        refused = httpx.post(f"{server.url}{LOGIN}", json={"username": "alice", "password": password}, timeout=30)
        assert refused.status_code == 429
        wait = int(refused.headers["Retry-After"])
        assert 1 <= wait <= 60
        time.sleep(wait + 1)
        signed_in = httpx.post(f"{server.url}{LOGIN}", json={"username": "alice", "password": password}, timeout=30)
        assert signed_in.status_code == 200, signed_in.text
        assert set(signed_in.json()) == {"access", "refresh"}


def test_sixty_usernames_sprayed_from_one_address_hit_the_per_address_limit(password):
    UserFactory(username="victim")
    with daphne_server(**RATES) as server:
        answers = [httpx.post(f"{server.url}{LOGIN}", json={"username": f"user-{n}", "password": "Summer2024!"},
                              timeout=30) for n in range(60)]
        assert [answer.status_code for answer in answers] == [401] * 20 + [429] * 40
        assert all(int(answer.headers["Retry-After"]) >= 1 for answer in answers[20:])
        assert metric(server, "sensorium_login_failures_total") == 20
        assert metric(server, "sensorium_login_refusals_total", limit="address") == 40
        # The address is held for every account, even with the right password.
        held = httpx.post(f"{server.url}{LOGIN}", json={"username": "victim", "password": password}, timeout=30)
        assert held.status_code == 429
