"""The production-like stack: HAProxy in front of two real Daphne processes, one /metrics
scrape summing every process, the Procfile `make stack` runs and the systemd units."""

import asyncio
import json
import re
import shutil
import subprocess
import time
import urllib.request
from contextlib import contextmanager, nullcontext
from pathlib import Path

import pytest
import websockets

from deploy import stack
from telemetry import ingest
from telemetry.models import ImuReading
from tests.conftest import SERVICES
from tests.factories import sensor_make
from tests.servers import ROOT, celery_worker, daphne_server, free_port
from workers.metrics import READINGS_WRITE_TASK

HAPROXY = shutil.which("haproxy")
needs_haproxy = pytest.mark.skipif(HAPROXY is None, reason="haproxy is not installed (apt-get install haproxy)")


@contextmanager
def proxy_in_front_of(*servers, tmp_path: Path):
    port = free_port()
    config = tmp_path / "haproxy.cfg"
    config.write_text(stack.haproxy_config(bind=f"127.0.0.1:{port}",
                                           servers=[f"127.0.0.1:{server.port}" for server in servers]))
    log = (tmp_path / "haproxy.log").open("w")
    process = subprocess.Popen([HAPROXY, "-db", "-f", str(config)], stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while set(backends_answering(url, tries=4)) != {f"web{i + 1}" for i in range(len(servers))}:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"haproxy did not come up: {(tmp_path / 'haproxy.log').read_text()}")
            time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        process.wait(10)
        log.close()


def backends_answering(url: str, *, tries: int) -> list[str]:
    seen = []
    for _ in range(tries):
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=2) as response:
                seen.append(response.headers["X-Sensorium-Backend"])
        except OSError:
            pass
    return seen


def get(url: str) -> tuple[str, str]:
    with urllib.request.urlopen(url, timeout=5) as response:
        return response.headers.get("X-Sensorium-Backend", ""), response.read().decode()


def sample(exposition: str, name: str, **labels: str) -> float:
    wanted = ",".join(f'{key}="{value}"' for key, value in sorted(labels.items()))
    for line in exposition.splitlines():
        match = re.match(r"^(\w+)(?:\{(.*)\})? (\S+)$", line)
        if match and match.group(1) == name:
            found = ",".join(sorted(part for part in (match.group(2) or "").split(",") if part))
            if found == wanted:
                return float(match.group(3))
    return 0.0


@pytest.fixture
def two_web_processes(tmp_path):
    metrics_dir = tmp_path / "metrics"
    metrics_dir.mkdir()
    with daphne_server(PROMETHEUS_MULTIPROC_DIR=str(metrics_dir)) as first, \
            daphne_server(PROMETHEUS_MULTIPROC_DIR=str(metrics_dir)) as second:
        yield first, second, metrics_dir


@needs_haproxy
@pytest.mark.django_db(transaction=True)
@pytest.mark.slow
def test_one_scrape_through_the_proxy_sums_the_counters_of_every_process(two_web_processes, tmp_path):
    first, second, _ = two_web_processes
    for server, count in ((first, 3), (second, 5)):  # nothing else asks for /status here
        for _ in range(count):
            urllib.request.urlopen(f"{server.url}/status", timeout=10).close()

    with proxy_in_front_of(first, second, tmp_path=tmp_path) as proxy:
        scrapes = {}
        while len(scrapes) < 2:  # a scrape answered by each process
            backend, text = get(f"{proxy}/metrics")
            scrapes[backend] = text

    for text in scrapes.values():
        assert sample(text, "sensorium_http_requests_total", method="GET", route="status", status="200") == 8


@needs_haproxy
@pytest.mark.django_db(transaction=True)
@pytest.mark.slow
def test_http_and_device_websockets_pass_the_proxy_to_both_processes(two_web_processes, tmp_path, user):
    first, second, _ = two_web_processes
    sensor, token = sensor_make(owner=user)

    async def one_frame(proxy_ws: str, seq: int) -> dict:
        async with websockets.connect(f"{proxy_ws}/ws/devices/{sensor.pk}/",
                                      additional_headers={"Authorization": f"Device {token}"}) as device:
            assert json.loads(await device.recv())["type"] == "ready"
            reading = {"sensor_id": sensor.pk, "timestamp": f"2026-11-22T12:00:0{seq}.000Z",
                       "acceleration": {"x": 0.0, "y": 0.0, "z": 9.81}, "gyroscope": {"x": 0.0, "y": 0.0, "z": 0.0}}
            await device.send(json.dumps({"type": "telemetry", "seq": seq, "readings": [reading]}))
            async with asyncio.timeout(15):
                while True:
                    frame = json.loads(await device.recv())
                    if frame["type"] == "ack":
                        return frame

    # On the services a worker stores what the web processes hand to the broker.
    with proxy_in_front_of(first, second, tmp_path=tmp_path) as proxy, \
            (celery_worker(pool="threads") if SERVICES else nullcontext()):
        assert set(backends_answering(proxy, tries=6)) == {"web1", "web2"}
        proxy_ws = proxy.replace("http://", "ws://")
        acks = [asyncio.run(one_frame(proxy_ws, seq)) for seq in (1, 2, 3, 4)]
        deadline = time.monotonic() + 30
        while ImuReading.objects.filter(sensor_id=sensor.pk).count() < 4 and time.monotonic() < deadline:
            time.sleep(0.2)
    assert [ack["seq"] for ack in acks] == [1, 2, 3, 4]
    assert ImuReading.objects.filter(sensor_id=sensor.pk).count() == 4
    # Both processes served device sockets: the connection log of each names the device path.
    assert all(f"/ws/devices/{sensor.pk}/" in server.output() for server in (first, second))


@needs_haproxy
@pytest.mark.services
@pytest.mark.django_db(transaction=True)
@pytest.mark.slow
def test_the_workers_task_and_write_metrics_reach_the_web_scrape(two_web_processes, tmp_path, user):
    first, second, metrics_dir = two_web_processes
    sensor, token = sensor_make(owner=user)
    readings = [{"sensor_id": sensor.pk, "timestamp": f"2026-11-22T10:00:{second_:02d}.000Z",
                 "acceleration": {"x": 0.0, "y": 0.0, "z": 9.81}, "gyroscope": {"x": 0.0, "y": 0.0, "z": 0.0}}
                for second_ in range(25)]
    with celery_worker(pool="threads", concurrency=2, PROMETHEUS_MULTIPROC_DIR=str(metrics_dir)):
        request = urllib.request.Request(f"{first.url}/api/v1/data/ingest", method="POST",
                                         data=json.dumps({"readings": readings}).encode(),
                                         headers={"Authorization": f"Device {token}",
                                                  "Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.status == 202
        deadline = time.monotonic() + 30
        written = 0.0
        while written < 25 and time.monotonic() < deadline:
            text = get(f"{second.url}/metrics")[1]
            written = sample(text, "sensorium_readings_written_total", kind="imu")
            time.sleep(0.2)
    assert written == 25
    assert sample(text, "sensorium_celery_tasks_total", task=READINGS_WRITE_TASK, outcome="succeeded") >= 1
    assert sample(text, "sensorium_readings_write_duration_seconds_count") >= 1


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
@pytest.mark.slow
def test_a_bare_worker_stores_readings_and_leaves_the_gateways_queue_alone(broker_mode, user):
    sensor, _ = sensor_make(owner=user)
    readings = [{"sensor_id": sensor.pk, "timestamp": f"2026-11-22T11:00:{n:02d}.000Z",
                 "acceleration": {"x": 0.0, "y": 0.0, "z": 9.81}, "gyroscope": {"x": 0.0, "y": 0.0, "z": 0.0}}
                for n in range(40)]
    with celery_worker(queues=None, pool="threads", concurrency=2) as worker:
        assert ingest.accept(payload=readings, source="test", device=sensor).accepted == 40
        deadline = time.monotonic() + 30
        while ImuReading.objects.filter(sensor_id=sensor.pk).count() < 40 and time.monotonic() < deadline:
            time.sleep(0.2)
    assert ImuReading.objects.filter(sensor_id=sensor.pk).count() == 40, worker.output()[-2000:]
    consumed = re.search(r"\[queues\](.*?)\n\n", worker.output(), re.S).group(1)
    assert ".> celery " in consumed and ".> telemetry " in consumed and ".> ble " not in consumed


def test_make_stack_writes_a_procfile_and_a_proxy_config_haproxy_accepts(tmp_path):
    assert stack.main(["--web", "3", "--bind", "127.0.0.1:18000", "--out", str(tmp_path), "--write-only"]) == 0 \
        or HAPROXY is None
    if HAPROXY is None:
        pytest.skip("haproxy is not installed (apt-get install haproxy): the config cannot be checked")
    procfile = (tmp_path / "Procfile").read_text().splitlines()
    names = [line.split(":", 1)[0] for line in procfile]
    assert names == ["web1", "web2", "web3", "worker", "beat", "proxy"]
    assert "-p 8103" in procfile[2]
    config = (tmp_path / "haproxy.cfg").read_text()
    assert "bind 127.0.0.1:18000" in config and config.count("    server web") == 3
    checked = subprocess.run([HAPROXY, "-c", "-f", str(tmp_path / "haproxy.cfg")], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr


SYSTEMD_DIR = ROOT / "deploy" / "systemd"


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed")
def test_the_systemd_units_verify(tmp_path):
    """`systemd-analyze verify` on the units as installed (/opt/sensorium here is this checkout)."""
    env_file = tmp_path / "env"
    env_file.write_text("SECRET_KEY=x\n")
    for unit in SYSTEMD_DIR.iterdir():
        text = unit.read_text().replace("/opt/sensorium", str(ROOT)).replace("/etc/sensorium/env", str(env_file))
        (tmp_path / unit.name).write_text(text)
    shutil.copy(tmp_path / "sensorium-daphne@.service", tmp_path / "sensorium-daphne@8101.service")
    units = ["sensorium-daphne@8101.service", "sensorium-worker.service", "sensorium-beat.service",
             "sensorium-ble.service", "sensorium.target"]
    result = subprocess.run(["systemd-analyze", "verify", "--man=no", *units], cwd=tmp_path,
                            capture_output=True, text=True)
    problems = [line for line in (result.stdout + result.stderr).splitlines()
                if "sensorium" in line and "Unit is bound to inactive unit" not in line]
    assert result.returncode == 0 and not problems, result.stdout + result.stderr


def unit_command(name: str) -> str:
    (line,) = [line for line in (SYSTEMD_DIR / name).read_text().splitlines() if line.startswith("ExecStart=")]
    return line.removeprefix("ExecStart=").replace("/opt/sensorium/.venv/bin/", "")


def test_the_units_start_the_commands_of_the_stack():
    commands = stack.procfile_commands(bin_dir="BIN", ports=[8101], beat_schedule="SCHEDULE")
    assert unit_command("sensorium-daphne@.service") == commands["web1"].replace("BIN/", "").replace("8101", "%i")
    assert unit_command("sensorium-worker.service") == commands["worker"].replace("BIN/", "")
    assert unit_command("sensorium-beat.service").startswith(commands["beat"].replace("BIN/", "").split(" -s ")[0])
