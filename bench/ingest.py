"""Ingest throughput, end to end, on the services stack.

Starts one Celery worker (queues telemetry,celery) and Daphne against DATABASE_URL /
CELERY_BROKER_URL / REDIS_URL, then S simulated sensors each POST batches of IMU
readings to /api/v1/data/ingest as fast as they are answered, for DURATION seconds.
Prints: the raw COPY ceiling into the same table (measured first, same run), readings
accepted per second, end-to-end readings per second (first request → last accepted
reading visible in the table), request latency p50/p99, and checks that the table holds
exactly the readings accepted.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/sensorium_bench \\
    CELERY_BROKER_URL=amqp://guest:guest@127.0.0.1:5672/bench REDIS_URL=redis://127.0.0.1:6379/9 \\
    .venv/bin/python bench/ingest.py --sensors 16 --batch 500 --duration 60

Not part of the test suite; results go to bench/RESULTS.md.
"""

import argparse
import asyncio
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BIN = Path(sys.executable).parent

BENCH_ENV = {"DJANGO_SETTINGS_MODULE": "project.settings", "SECURE_HTTPS": "0", "DEBUG": "0",
             "SECRET_KEY": os.environ.get("SECRET_KEY") or "bench-only-secret-" + "b" * 40,
             "CELERY_TASK_ALWAYS_EAGER": "0", "LOG_LEVEL": "WARNING"}
for _name, _value in BENCH_ENV.items():
    os.environ.setdefault(_name, _value)
os.environ["CELERY_TASK_ALWAYS_EAGER"] = "0"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def setup_django():
    import django

    for name in ("DATABASE_URL", "CELERY_BROKER_URL"):
        if not os.environ.get(name):
            sys.exit(f"{name} must be set: this benchmark runs on the services stack.")
    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def sensors_prepare(count: int) -> list[tuple[str, str]]:
    from sensors.models import Sensor
    from sensors.services import sensor_create, sensor_token_rotate
    from telemetry.models import ImuReading
    from users.models import User

    owner, _ = User.objects.get_or_create(username="bench-owner")
    pairs = []
    for n in range(count):
        sensor_id = f"bench-{n:04d}"
        sensor = Sensor.objects.filter(pk=sensor_id).first()
        if sensor is None:
            sensor, token = sensor_create(owner=owner, id=sensor_id, name=f"Bench {n}", device_type="imu")
        else:
            token = sensor_token_rotate(sensor=sensor)
        pairs.append((sensor_id, token))
    ImuReading.objects.filter(sensor_id__in=[sensor_id for sensor_id, _ in pairs]).delete()
    return pairs


def telemetry_queue_purge() -> int:
    """Batches left on the broker by an earlier, interrupted run would skew the count."""
    from project.celery import app

    with app.connection_for_write() as connection:
        try:
            return connection.default_channel.queue_purge("telemetry") or 0
        except Exception:  # the queue does not exist yet
            return 0


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def children(pid: int) -> list[int]:
    try:
        return [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def stored_count() -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM telemetry_imu_reading WHERE sensor_id LIKE 'bench-%%'")
        return cursor.fetchone()[0]


def copy_ceiling(rows: int) -> float:
    """Raw COPY (binary, psycopg) of `rows` IMU rows into the same table, rows/s."""
    from django.db import connection, transaction

    start = datetime.now(timezone.utc) - timedelta(hours=3)
    data = [("bench-copy", start + timedelta(microseconds=500 * i), 0.1, 0.2, 9.81, 0.01, 0.02, 0.03, 80, -60)
            for i in range(rows)]
    columns = "sensor_id, timestamp, accel_x, accel_y, accel_z, gyro_x, gyro_y, gyro_z, battery_level, signal_strength"
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM telemetry_imu_reading WHERE sensor_id = 'bench-copy'")
    began = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        with cursor.cursor.copy(f"COPY telemetry_imu_reading ({columns}) FROM STDIN (FORMAT BINARY)") as copy:
            copy.set_types(["varchar", "timestamptz", "float8", "float8", "float8", "float8", "float8", "float8",
                            "int2", "int2"])
            for row in data:
                copy.write_row(row)
    rate = rows / (time.perf_counter() - began)
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM telemetry_imu_reading WHERE sensor_id = 'bench-copy'")
    return rate


def start(command: list[str], name: str, **env: str) -> subprocess.Popen:
    log = open(ROOT / "var" / f"bench-{name}.log", "w")
    return subprocess.Popen(command, cwd=ROOT, env={**os.environ, **env}, stdout=log, stderr=subprocess.STDOUT)


def wait_http(url: str, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise TimeoutError(url)


def body_for(sensor_id: str, batch: int, first_ms: int) -> bytes:
    # Epoch milliseconds, one reading per millisecond per sensor: every reading is new.
    parts = [
        f'{{"sensor_id":"{sensor_id}","timestamp":{first_ms + i},'
        f'"acceleration":{{"x":{(i % 97) / 100},"y":-0.02,"z":9.81}},'
        f'"gyroscope":{{"x":0.1,"y":{(i % 13) / 10},"z":-0.3}},"battery_level":87,"signal_strength":-61}}'
        for i in range(batch)]
    return ('{"readings":[' + ",".join(parts) + "]}").encode()


async def sensor_loop(url: str, sensor_id: str, token: str, batch: int, until: float, first_ms: int,
                      latencies: list[float], totals: dict[str, int]) -> None:
    import httpx

    headers = {"Authorization": f"Device {token}", "Content-Type": "application/json"}
    async with httpx.AsyncClient(base_url=url, timeout=60) as client:
        sent = 0
        while True:  # at least one request, then until the deadline
            body = body_for(sensor_id, batch, first_ms + sent)
            began = time.perf_counter()
            response = await client.post("/api/v1/data/ingest", content=body, headers=headers)
            latencies.append(time.perf_counter() - began)
            sent += batch
            if response.status_code == 202:
                totals["accepted"] += response.json()["accepted"]
            else:
                totals["failed_requests"] += 1
                totals.setdefault(f"status_{response.status_code}", 0)
                totals[f"status_{response.status_code}"] += 1
            if time.monotonic() >= until:
                break


async def _all_sensors(pairs, ports, batch, until, first_ms, latencies, totals) -> None:
    await asyncio.gather(*(
        sensor_loop(f"http://127.0.0.1:{ports[n % len(ports)]}", sensor_id, token, batch, until, first_ms,
                    latencies, totals)
        for n, (sensor_id, token) in enumerate(pairs)))


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sensors", type=int, default=16)
    parser.add_argument("--batch", type=int, default=500, help="readings per request")
    parser.add_argument("--duration", type=float, default=60)
    parser.add_argument("--daphne", type=int, default=1, help="Daphne processes (round-robin)")
    parser.add_argument("--worker-concurrency", type=int, default=2)
    parser.add_argument("--copy-rows", type=int, default=300_000)
    args = parser.parse_args()

    setup_django()
    pairs = sensors_prepare(args.sensors)
    telemetry_queue_purge()
    ceiling = copy_ceiling(args.copy_rows)
    print(f"COPY ceiling (binary COPY, {args.copy_rows} rows, same table): {ceiling:,.0f} rows/s", flush=True)

    (ROOT / "var").mkdir(exist_ok=True)
    worker = start([str(BIN / "celery"), "-A", "project", "worker", "-l", "warning", "-Q", "telemetry,celery",
                    "-c", str(args.worker_concurrency), "--without-gossip", "--without-mingle",
                    "-n", f"bench-{os.getpid()}@%h"], "worker")
    ports = [free_port() for _ in range(args.daphne)]
    servers = [start([str(BIN / "daphne"), "-b", "127.0.0.1", "-p", str(port), "project.asgi:application"],
                     f"daphne-{port}") for port in ports]
    try:
        for port in ports:
            wait_http(f"http://127.0.0.1:{port}/health")

        web_pids = [server.pid for server in servers]
        worker_pids = [worker.pid, *children(worker.pid)]
        first_ms = int((datetime.now(timezone.utc) - timedelta(hours=2)).timestamp() * 1000)
        # Warm-up: one batch per sensor through the whole pipeline (lazy imports, broker
        # and database connections), not timed.
        warm = {"accepted": 0, "failed_requests": 0}
        asyncio.run(_all_sensors(pairs, ports, args.batch, time.monotonic() + 0.001, first_ms, [], warm))
        while stored_count() < warm["accepted"]:
            time.sleep(0.2)
        first_ms += 10 * args.batch

        cpu_before = {pid: cpu_seconds(pid) for pid in [*web_pids, *worker_pids]}
        load_generator_before = sum(os.times()[:2])
        latencies: list[float] = []
        totals = {"accepted": 0, "failed_requests": 0}
        began = time.monotonic()
        until = began + args.duration
        asyncio.run(_all_sensors(pairs, ports, args.batch, until, first_ms, latencies, totals))
        sending = time.monotonic() - began
        deadline = time.monotonic() + 300
        expected = warm["accepted"] + totals["accepted"]
        while stored_count() < expected and time.monotonic() < deadline:
            time.sleep(0.25)
        end_to_end = time.monotonic() - began
        cpu_used = {pid: cpu_seconds(pid) - before for pid, before in cpu_before.items() if Path(f"/proc/{pid}").exists()}
        load_generator_cpu = sum(os.times()[:2]) - load_generator_before
        time.sleep(2)
        count = stored_count() - warm["accepted"]
    finally:
        for process in [*servers, worker]:
            process.send_signal(signal.SIGTERM)
        for process in [*servers, worker]:
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                process.kill()

    print(f"sensors={args.sensors} batch={args.batch} duration={args.duration:.0f}s daphne={args.daphne} "
          f"worker_concurrency={args.worker_concurrency}")
    print(f"requests: {len(latencies)} ({totals['failed_requests']} failed: "
          f"{ {k: v for k, v in totals.items() if k.startswith('status_')} })")
    print(f"accepted: {totals['accepted']:,} readings in {sending:.1f}s = {totals['accepted'] / sending:,.0f}/s")
    print(f"end to end (accepted -> visible in table): {count:,} in {end_to_end:.1f}s = "
          f"{count / end_to_end:,.0f} readings/s")
    if latencies:
        print(f"request latency: p50 {percentile(latencies, 0.5) * 1000:.1f} ms, "
              f"p99 {percentile(latencies, 0.99) * 1000:.1f} ms, mean {statistics.mean(latencies) * 1000:.1f} ms")
    per_thousand = 1000 / max(count, 1)

    def cpu_ms(pids) -> float:
        return sum(cpu_used.get(pid, 0.0) for pid in pids) * per_thousand * 1000

    print(f"CPU per 1,000 readings: web {cpu_ms(web_pids):.0f} ms, worker {cpu_ms(worker_pids):.0f} ms, "
          f"load generator {load_generator_cpu * per_thousand * 1000:.0f} ms "
          f"(load average at the end: {os.getloadavg()[0]:.1f})")
    print(f"COPY ceiling: {ceiling:,.0f} rows/s")
    verdict = "OK" if count == totals["accepted"] else "MISMATCH"
    print(f"stored == accepted: {count:,} == {totals['accepted']:,} -> {verdict}")
    sys.exit(0 if verdict == "OK" else 1)


if __name__ == "__main__":
    main()
