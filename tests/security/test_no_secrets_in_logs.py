"""Nothing a client sends as a secret reaches the logs: a real Daphne process with the real
logging configuration at DEBUG (console and rotating file) goes through sign-ins, failed
sign-ins, device ingest, token guesses and rotation, both WebSockets, refresh, logout and
/metrics; then everything it logged is searched for each secret used."""

import asyncio
import json
import re
from datetime import datetime, timezone

import httpx
import pytest
import websockets

from tests.factories import UserFactory, sensor_make
from tests.servers import daphne_server

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct-horse-battery"  # the factories' password
WRONG_PASSWORD = "Wr0ng-Sesame-71c3"
GUESSED_TOKEN = "guessed-device-token-9f2e4a7b"
METRICS_TOKEN = "metrics-scrape-secret-4d1c"
WRONG_METRICS_TOKEN = "metrics-wrong-secret-88aa"


def reading(sensor_id: str) -> dict:
    now = datetime.now(timezone.utc).isoformat().replace("+00:00", "Z")
    return {"sensor_id": sensor_id, "timestamp": now, "acceleration": {"x": 0, "y": 0, "z": 9.81},
            "gyroscope": {"x": 0, "y": 0, "z": 0}}


def browser_sign_in(base: str, password: str) -> int:
    with httpx.Client(base_url=base, timeout=30) as browser:
        page = browser.get("/accounts/login/").text
        csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        answer = browser.post("/accounts/login/", data={"username": "alice", "password": password,
                                                         "csrfmiddlewaretoken": csrf},
                              headers={"Referer": f"{base}/accounts/login/"})
        return answer.status_code


async def sockets_used(server, sensor_id: str, device_token: str, access: str) -> None:
    viewer = await websockets.connect(f"{server.ws_url}/ws/data/stream/{sensor_id}/?token={access}")
    assert json.loads(await viewer.recv())["type"] == "status"
    by_header = await websockets.connect(f"{server.ws_url}/ws/devices/{sensor_id}/",
                                         additional_headers={"Authorization": f"Device {device_token}"})
    assert json.loads(await by_header.recv())["type"] == "ready"
    await by_header.send(json.dumps({"type": "telemetry", "seq": 1, "readings": [reading(sensor_id)]}))
    assert json.loads(await by_header.recv())["type"] == "ack"
    await by_header.close()
    by_frame = await websockets.connect(f"{server.ws_url}/ws/devices/{sensor_id}/")
    await by_frame.send(json.dumps({"type": "auth", "token": device_token}))
    assert json.loads(await by_frame.recv())["type"] == "ready"
    await by_frame.close()
    guess = await websockets.connect(f"{server.ws_url}/ws/devices/{sensor_id}/")
    await guess.send(json.dumps({"type": "auth", "token": GUESSED_TOKEN}))
    with pytest.raises(websockets.ConnectionClosed):
        await guess.recv()
    await viewer.close()


def test_logs_of_a_session_hold_no_token_or_password(tmp_path):
    user = UserFactory(username="alice")
    sensor, first_token = sensor_make(owner=user)
    log_dir = tmp_path / "log"
    secrets = {"password": PASSWORD, "wrong password": WRONG_PASSWORD, "first device token": first_token,
               "guessed device token": GUESSED_TOKEN, "metrics token": METRICS_TOKEN,
               "wrong metrics token": WRONG_METRICS_TOKEN}

    with daphne_server(LOG_DIR=str(log_dir), LOG_LEVEL="DEBUG", LOG_FORMAT="json",
                       METRICS_TOKEN=METRICS_TOKEN) as server:
        api = httpx.Client(base_url=server.url, timeout=30)
        assert api.post("/api/v1/auth/login", json={"username": "alice", "password": WRONG_PASSWORD}).status_code == 401
        # A password typed into the username field, as people do.
        assert api.post("/api/v1/auth/login", json={"username": WRONG_PASSWORD, "password": PASSWORD}).status_code == 401
        pair = api.post("/api/v1/auth/login", json={"username": "alice", "password": PASSWORD}).json()
        secrets.update({"access token": pair["access"], "refresh token": pair["refresh"]})
        signed_in = {"Authorization": f"Bearer {pair['access']}"}
        assert api.get("/api/v1/user/profile", headers=signed_in).status_code == 200

        ingest = "/api/v1/data/ingest"
        assert api.post(ingest, json=reading(sensor.pk), headers={"Authorization": f"Device {first_token}"}
                        ).status_code == 202
        assert api.post(ingest, json=reading(sensor.pk), headers={"Authorization": f"Device {GUESSED_TOKEN}"}
                        ).status_code == 401
        rotated = api.post(f"/api/v1/sensors/{sensor.pk}/rotate-token", headers=signed_in).json()["token"]
        secrets["rotated device token"] = rotated
        assert api.post(ingest, json=reading(sensor.pk), headers={"Authorization": f"Device {first_token}"}
                        ).status_code == 401
        assert api.post("/api/v1/store-data/", json=reading(sensor.pk), headers={"Authorization": f"Device {rotated}"}
                        ).status_code == 202

        asyncio.run(sockets_used(server, sensor.pk, rotated, pair["access"]))

        refreshed = api.post("/api/v1/auth/refresh", json={"refresh": pair["refresh"]}).json()
        secrets.update({"refreshed access token": refreshed["access"], "rotated refresh token": refreshed["refresh"]})
        assert api.post("/api/v1/auth/refresh", json={"refresh": pair["refresh"]}).status_code == 401
        assert api.post("/api/v1/auth/logout", json={"refresh": refreshed["refresh"]},
                        headers={"Authorization": f"Bearer {refreshed['access']}"}).status_code == 205
        assert api.get("/api/v1/user/profile", headers={"Authorization": f"Bearer {refreshed['access']}"}
                       ).status_code == 401

        assert browser_sign_in(server.url, WRONG_PASSWORD) == 200
        assert browser_sign_in(server.url, PASSWORD) == 302
        assert api.get("/metrics", headers={"Authorization": f"Bearer {WRONG_METRICS_TOKEN}"}).status_code == 401
        assert api.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}).status_code == 200
        api.close()
    console = server.output()
    files = {path.name: path.read_text() for path in log_dir.iterdir()}

    # The search means something only if the session was logged at all.
    assert "daphne.log" in files, files.keys()
    file_lines = [json.loads(line) for line in files["daphne.log"].splitlines()]
    assert any(line.get("status_code") == 401 for line in file_lines), "the refused requests were not logged"
    assert any(line["level"] == "DEBUG" for line in file_lines)
    assert '"logger": "django.request"' in console  # the console's JSON lines too
    for where, text in {"console": console, **files}.items():
        leaked = [what for what, secret in secrets.items() if secret in text]
        assert not leaked, f"{where} holds the {', '.join(leaked)}"
