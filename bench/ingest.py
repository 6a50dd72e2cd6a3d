"""Ingest throughput, end to end, on the services stack.

Starts one Celery worker (queues telemetry,celery) and N Daphne processes against
DATABASE_URL / CELERY_BROKER_URL / REDIS_URL, then S simulated sensors each POST batches
of IMU readings to /api/v1/data/ingest as fast as they are answered, for DURATION seconds.
Prints: the raw COPY ceiling into the same table (measured first, same run), readings
accepted per second, end-to-end readings per second (first request → last accepted
reading visible in the table), request latency p50/p99, CPU per 1,000 readings of every
part (web, worker, this load generator, RabbitMQ, PostgreSQL, Redis) and how busy the
machine was, and checks that the table holds exactly the readings accepted.

Several Daphne processes (`--daphne N`) each listen on their own port; the client spreads
the sensors over them round-robin (a load balancer's job in production). The client is
deliberately light, since its CPU is taken from the same machine: bodies are pre-encoded
templates (see Bodies) and requests go over a bare HTTP/1.1 keep-alive connection per sensor.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/sensorium_bench \\
    CELERY_BROKER_URL=amqp://guest:guest@127.0.0.1:5672/bench REDIS_URL=redis://127.0.0.1:6379/9 \\
    .venv/bin/python bench/ingest.py --sensors 16 --batch 1000 --daphne 2 --duration 60

Not part of the test suite; results go to bench/RESULTS.md.
"""

import argparse
import asyncio
import json
import os
import random
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


def process_tree(pid: int) -> list[int]:
    """A process and its descendants (the worker's pool processes)."""
    try:
        kids = [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []
    return [pid, *(each for kid in kids for each in process_tree(kid))]


SERVICES = {"beam.smp": "RabbitMQ", "postgres": "PostgreSQL", "redis-server": "Redis"}


def services_cpu() -> dict[str, float]:
    """CPU seconds so far of every RabbitMQ, PostgreSQL and Redis process on the machine
    (shared: other users of the services count too)."""
    used = dict.fromkeys(SERVICES.values(), 0.0)
    for entry in Path("/proc").iterdir():
        try:
            name = SERVICES.get((entry / "comm").read_text().strip()) if entry.name.isdigit() else None
            if name:
                used[name] += cpu_seconds(int(entry.name))
        except OSError:
            continue
    return used


def machine_busy() -> tuple[int, int]:
    """(busy, total) CPU ticks of the whole machine so far."""
    ticks = [int(value) for value in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return sum(ticks) - ticks[3] - ticks[4], sum(ticks)


def stored_count(sensor_ids: list[str]) -> int:
    """Readings stored for this run's sensors (others may share the database)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM telemetry_imu_reading WHERE sensor_id = ANY(%s)", [sensor_ids])
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


def processes_stop(processes: list[subprocess.Popen]) -> None:
    """SIGTERM all, then wait for each (killing one that takes over 20 s)."""
    for process in processes:
        process.send_signal(signal.SIGTERM)
    for process in processes:
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()


def wait_http(url: str, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise TimeoutError(url)


class Bodies:
    """Request bodies of one sensor, pre-encoded: `batch` IMU readings stamped K·10^d + i
    (epoch milliseconds, i < batch ≤ 10^d), so a body is one bytes.join of K into fixed pieces
    and building it costs the client next to nothing. Every K gives new readings."""

    def __init__(self, sensor_id: str, batch: int):
        self.step = 10 ** len(str(batch - 1)) if batch > 1 else 1
        width = len(str(self.step)) - 1
        head = f'{{"sensor_id":"{sensor_id}","timestamp":'

        def tail(i: int) -> str:
            return (f'{i:0{width}d}' if width else "") + (
                f',"acceleration":{{"x":{(i % 97) / 100},"y":-0.02,"z":9.81}},'
                f'"gyroscope":{{"x":0.1,"y":{(i % 13) / 10},"z":-0.3}},"battery_level":87,"signal_strength":-61}}')

        self.pieces = [('{"readings":[' + head).encode(),
                       *[(tail(i) + "," + head).encode() for i in range(batch - 1)],
                       (tail(batch - 1) + "]}").encode()]

    def body(self, k: int) -> bytes:
        return str(k).encode().join(self.pieces)


class Connection:
    """A minimal HTTP/1.1 keep-alive client: a light load generator (its CPU counts on this
    machine too), enough for POSTs answered with a Content-Length."""

    def __init__(self, port: int, headers: dict[str, str]):
        self.port = port
        self.head = "".join(f"{name}: {value}\r\n" for name, value in
                            {"Host": f"127.0.0.1:{port}", **headers}.items()).encode()
        self.reader = self.writer = None

    async def post(self, path: str, body: bytes) -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        self.writer.write(b"POST %s HTTP/1.1\r\n%sContent-Length: %d\r\n\r\n" % (path.encode(), self.head, len(body)))
        self.writer.write(body)
        status = int((await self.reader.readline()).split()[1])
        length = None
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        if length is None:
            raise RuntimeError(f"HTTP {status} without Content-Length")
        return status, await self.reader.readexactly(length)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


async def sensor_loop(port: int, sensor_id: str, token: str, batch: int, until: float, first_k: int,
                      latencies: list[float], totals: dict[str, int], interval: float = 0.0) -> None:
    """POST batches as fast as answered, or (interval > 0) one every `interval` seconds at most."""
    bodies = Bodies(sensor_id, batch)
    connection = Connection(port, {"Authorization": f"Device {token}", "Content-Type": "application/json"})
    k = first_k
    if interval:  # a paced fleet's devices send out of step, as real ones do, not in one burst
        await asyncio.sleep(random.Random(sensor_id).uniform(0, interval))
    try:
        while True:  # at least one request, then until the deadline
            body = bodies.body(k)
            k += 1
            if interval and k > first_k + 1:
                await asyncio.sleep(max(0.0, next_at - time.monotonic()))
            next_at = time.monotonic() + interval
            began = time.perf_counter()
            status, answer = await connection.post("/api/v1/data/ingest", body)
            latencies.append(time.perf_counter() - began)
            if status == 202:
                totals["accepted"] += json.loads(answer)["accepted"]
            else:
                totals["failed_requests"] += 1
                totals.setdefault(f"status_{status}", 0)
                totals[f"status_{status}"] += 1
            if time.monotonic() >= until:
                break
    finally:
        connection.close()


def first_k(batch: int, at: datetime) -> int:
    """The K of the first body stamped at `at` (see Bodies)."""
    step = Bodies("x", batch).step
    return int(at.timestamp() * 1000) // step


async def _all_sensors(pairs, ports, batch, until, k, latencies, totals, interval: float = 0.0) -> None:
    await asyncio.gather(*(
        sensor_loop(ports[n % len(ports)], sensor_id, token, batch, until, k, latencies, totals, interval)
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
    parser.add_argument("--worker-pool", default="threads", choices=["prefork", "threads", "solo"],
                        help="Celery pool (threads: COPY waits on PostgreSQL with the GIL released, "
                             "without prefork's pickling of each batch to a child process)")
    parser.add_argument("--copy-rows", type=int, default=300_000)
    args = parser.parse_args()

    setup_django()
    pairs = sensors_prepare(args.sensors)
    sensor_ids = [sensor_id for sensor_id, _ in pairs]
    telemetry_queue_purge()
    ceiling = copy_ceiling(args.copy_rows)
    print(f"COPY ceiling (binary COPY, {args.copy_rows} rows, same table): {ceiling:,.0f} rows/s", flush=True)

    (ROOT / "var").mkdir(exist_ok=True)
    worker = start([str(BIN / "celery"), "-A", "project", "worker", "-l", "warning", "-Q", "telemetry,celery",
                    "-P", args.worker_pool, "-c", str(args.worker_concurrency), "--without-gossip", "--without-mingle",
                    "-n", f"bench-{os.getpid()}@%h"], "worker")
    ports = [free_port() for _ in range(args.daphne)]
    servers = [start([str(BIN / "daphne"), "-b", "127.0.0.1", "-p", str(port), "project.asgi:application"],
                     f"daphne-{port}") for port in ports]
    try:
        for port in ports:
            wait_http(f"http://127.0.0.1:{port}/health")

        web_pids = [server.pid for server in servers]
        k = first_k(args.batch, datetime.now(timezone.utc) - timedelta(hours=2))
        # Warm-up: one batch per sensor through the whole pipeline (lazy imports, broker
        # and database connections), not timed.
        warm = {"accepted": 0, "failed_requests": 0}
        asyncio.run(_all_sensors(pairs, ports, args.batch, time.monotonic() + 0.001, k, [], warm))
        while stored_count(sensor_ids) < warm["accepted"]:
            time.sleep(0.2)
        k += 10

        worker_pids = process_tree(worker.pid)
        cpu_before = {pid: cpu_seconds(pid) for pid in [*web_pids, *worker_pids]}
        services_before, machine_before = services_cpu(), machine_busy()
        load_generator_before = sum(os.times()[:2])
        latencies: list[float] = []
        totals = {"accepted": 0, "failed_requests": 0}
        began = time.monotonic()
        until = began + args.duration
        asyncio.run(_all_sensors(pairs, ports, args.batch, until, k, latencies, totals))
        sending = time.monotonic() - began
        deadline = time.monotonic() + 300
        expected = warm["accepted"] + totals["accepted"]
        while stored_count(sensor_ids) < expected and time.monotonic() < deadline:
            time.sleep(0.25)
        end_to_end = time.monotonic() - began
        cpu_used = {pid: cpu_seconds(pid) - cpu_before.get(pid, 0.0)
                    for pid in [*web_pids, *process_tree(worker.pid)] if Path(f"/proc/{pid}").exists()}
        worker_pids = process_tree(worker.pid)
        services_used = {name: used - services_before[name] for name, used in services_cpu().items()}
        busy, total = (now - before for now, before in zip(machine_busy(), machine_before))
        load_generator_cpu = sum(os.times()[:2]) - load_generator_before
        time.sleep(2)
        count = stored_count(sensor_ids) - warm["accepted"]
    finally:
        processes_stop([*servers, worker])

    print(f"sensors={args.sensors} batch={args.batch} duration={args.duration:.0f}s daphne={args.daphne} "
          f"worker: one, pool {args.worker_pool} x {args.worker_concurrency}")
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

    print(f"CPU per 1,000 readings: web {cpu_ms(web_pids):.1f} ms, worker {cpu_ms(worker_pids):.1f} ms, "
          f"load generator {load_generator_cpu * per_thousand * 1000:.1f} ms, "
          + ", ".join(f"{name} {used * per_thousand * 1000:.1f} ms" for name, used in services_used.items())
          + " (services: every process of theirs on the machine)")
    print(f"machine CPU busy from first request to last reading stored: {busy / total * 100:.0f}% of "
          f"{os.cpu_count()} cores (load average at the end: {os.getloadavg()[0]:.1f})")
    print(f"COPY ceiling: {ceiling:,.0f} rows/s")
    verdict = "OK" if count == totals["accepted"] else "MISMATCH"
    print(f"stored == accepted: {count:,} == {totals['accepted']:,} -> {verdict}")
    sys.exit(0 if verdict == "OK" else 1)


if __name__ == "__main__":
    main()
