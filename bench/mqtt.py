"""MQTT ingest, end to end, on the services stack: devices → Mosquitto → bridge(s) → Celery
worker → PostgreSQL.

Starts a private Mosquitto 2 (dynamic security, free port, configured by the project), N
bridge processes (`manage.py mqtt_bridge`, distinct client ids, one shared subscription),
one Celery worker and one Daphne (for the command API), against DATABASE_URL /
CELERY_BROKER_URL / REDIS_URL. S simulated devices (paho, MQTT 5, QoS 1, their own
provisioned credentials) each keep a window of W unacked frames of B IMU readings in flight
for DURATION seconds per phase. Prints per phase: readings accepted (acked) per second,
end to end readings/s (first publish → last acked reading visible in the table), ack
latency p50/p99 (publish → ack on the device's ack topic), messages/s, CPU per message of
each part (bridges, worker, Mosquitto, this load generator, PostgreSQL, RabbitMQ, Redis);
then command latency API → device (POST /api/v1/sensors/<id>/commands → the command on the
device's commands topic) p50/p99; and checks that the table holds exactly what was acked.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/sensorium_bench \\
    CELERY_BROKER_URL=amqp://guest:guest@127.0.0.1:5672/bench REDIS_URL=redis://127.0.0.1:6379/9 \\
    .venv/bin/python bench/mqtt.py --sensors 16 --phases 100,1 --bridges 2 --duration 60

Not part of the test suite; results go to bench/RESULTS.md.
"""

import argparse
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.ingest import (  # noqa: E402  (sets the bench environment first)
    BIN,
    ROOT,
    Bodies,
    cpu_seconds,
    first_k,
    free_port,
    machine_busy,
    percentile,
    process_tree,
    sensors_prepare,
    services_cpu,
    setup_django,
    start,
    stored_count,
    telemetry_queue_purge,
    wait_http,
)

BROKER_PORT = free_port()
BROKER_PASSWORD = secrets.token_urlsafe(16)
os.environ["MQTT_URL"] = f"mqtt://sensorium:{BROKER_PASSWORD}@127.0.0.1:{BROKER_PORT}"
os.environ.setdefault("MQTT_COMMAND_POLL_S", "30")  # commands must come over the channel layer, not the poll


class BenchDevice:
    """One device: keeps `window` frames in flight, each acked on its ack topic."""

    def __init__(self, *, sensor_id: str, token: str, batch: int, window: int, k: int):
        import paho.mqtt.client as paho

        self.sensor_id, self.batch, self.window, self.k = sensor_id, batch, window, k
        self.bodies = Bodies(sensor_id, batch)
        self.sent_at: dict[int, float] = {}
        self.latencies: list[float] = []
        self.acked = self.accepted = self.errors = 0
        self.seq = 0
        self.until = 0.0
        self.lock = threading.Lock()
        self.drained = threading.Event()
        self.commands: dict[str, float] = {}
        self.command_seen = threading.Condition()
        self.client = paho.Client(paho.CallbackAPIVersion.VERSION2, client_id=f"bench-{sensor_id}",
                                  protocol=paho.MQTTv5)
        self.client.username_pw_set(sensor_id, token)
        self.client.max_inflight_messages_set(0)
        self.client.on_message = self._on_message
        ready = threading.Event()
        self.client.on_subscribe = lambda *args: ready.set()
        self.client.connect("127.0.0.1", BROKER_PORT, keepalive=60)
        self.client.loop_start()
        self.client.subscribe([(f"sensorium/{sensor_id}/ack", 1), (f"sensorium/{sensor_id}/commands", 1)])
        if not ready.wait(10):
            raise RuntimeError(f"{sensor_id}: not subscribed")
        self.client.publish(f"sensorium/{sensor_id}/status", b'{"online": true}', qos=1, retain=True)

    def _publish_next(self) -> None:
        self.seq += 1
        self.k += 1
        body = b'{"seq":%d,' % self.seq + self.bodies.body(self.k)[1:]
        self.sent_at[self.seq] = time.perf_counter()
        self.client.publish(f"sensorium/{self.sensor_id}/telemetry", body, qos=1)

    def run_until(self, until: float) -> None:
        self.until = until
        self.drained.clear()
        with self.lock:
            for _ in range(self.window):
                self._publish_next()

    def _on_message(self, client, userdata, message) -> None:
        payload = json.loads(message.payload)
        if message.topic.endswith("/commands"):
            with self.command_seen:
                self.commands[payload["id"]] = time.perf_counter()
                self.command_seen.notify_all()
            client.publish(f"sensorium/{self.sensor_id}/command_result",
                           json.dumps({"id": payload["id"], "status": "ok", "result": {}}), qos=1)
            return
        with self.lock:
            sent = self.sent_at.pop(payload.get("seq"), None)
            if sent is None:
                return  # a duplicate ack (a redelivered frame)
            self.latencies.append(time.perf_counter() - sent)
            self.acked += 1
            self.accepted += payload.get("accepted", 0)
            self.errors += "errors" in payload
            if time.monotonic() < self.until:
                self._publish_next()
            elif not self.sent_at:
                self.drained.set()

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def broker_start(folder: Path) -> subprocess.Popen:
    from transports.mqtt.endpoint import endpoint_configured
    from transports.mqtt.mosquitto import mosquitto_binary, mosquitto_config_write, mosquitto_missing

    if mosquitto_missing():
        sys.exit(f"Needs Mosquitto 2: {mosquitto_missing()}")
    shutil.rmtree(folder, ignore_errors=True)
    conf = mosquitto_config_write(endpoint=endpoint_configured(), port=BROKER_PORT, folder=folder)
    process = subprocess.Popen([mosquitto_binary(), "-c", str(conf)], cwd=ROOT)
    time.sleep(0.5)
    return process


def bridges_connected(count: int, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    logs = [ROOT / "var" / f"bench-mqtt-bridge-{n}.log" for n in range(count)]
    while not all(" connected to " in log.read_text() for log in logs):
        if time.monotonic() > deadline:
            raise TimeoutError("the bridges did not connect: see var/bench-mqtt-bridge-*.log")
        time.sleep(0.2)
    time.sleep(1)  # their subscriptions are acknowledged


def warm_up(devices: list["BenchDevice"], sensor_ids: list[str]) -> None:
    """A window of frames per device through the whole pipeline (connections, lazy imports),
    stored before the timed run starts."""
    before = stored_count(sensor_ids)
    for device in devices:
        device.run_until(time.monotonic())
    for device in devices:
        device.drained.wait(60)
    accepted = sum(device.accepted for device in devices)
    deadline = time.monotonic() + 60
    while stored_count(sensor_ids) < before + accepted and time.monotonic() < deadline:
        time.sleep(0.2)
    for device in devices:
        device.latencies.clear()
        device.acked = device.accepted = device.errors = 0


def jwt_for_bench_owner(port: int) -> str:
    from users.models import User

    owner = User.objects.get(username="bench-owner")
    password = secrets.token_urlsafe(12)
    owner.set_password(password)
    owner.save()
    request = urllib.request.Request(f"http://127.0.0.1:{port}/api/v1/auth/login", method="POST",
                                     data=json.dumps({"username": "bench-owner", "password": password}).encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request) as response:
        return json.loads(response.read())["access"]


def command_latencies(port: int, devices: list[BenchDevice], count: int) -> list[float]:
    """POST a command through the API, time until the device has it on its commands topic."""
    access = jwt_for_bench_owner(port)
    latencies = []
    for n in range(count):
        device = devices[n % len(devices)]
        request = urllib.request.Request(f"http://127.0.0.1:{port}/api/v1/sensors/{device.sensor_id}/commands",
                                         method="POST", data=b'{"name": "ping", "params": {}}',
                                         headers={"Content-Type": "application/json",
                                                  "Authorization": f"Bearer {access}"})
        began = time.perf_counter()
        with urllib.request.urlopen(request) as response:
            command_id = json.loads(response.read())["id"]
        with device.command_seen:
            if not device.command_seen.wait_for(lambda: command_id in device.commands, 10):
                raise RuntimeError(f"command {command_id} never reached {device.sensor_id}")
        latencies.append(device.commands[command_id] - began)
    return latencies


def phase(*, batch: int, args, pairs, sensor_ids, k: int, bridges, worker, broker) -> tuple[int, int]:
    devices = [BenchDevice(sensor_id=sensor_id, token=token, batch=batch, window=args.window, k=k)
               for sensor_id, token in pairs]
    try:
        warm_up(devices, sensor_ids)
        stored_before = stored_count(sensor_ids)
        bridge_pids = [bridge.pid for bridge in bridges]
        worker_pids = process_tree(worker.pid)
        pids = [*bridge_pids, *worker_pids, broker.pid]
        cpu_before = {pid: cpu_seconds(pid) for pid in pids}
        services_before, machine_before = services_cpu(), machine_busy()
        generator_before = sum(os.times()[:2])
        began = time.monotonic()
        for device in devices:
            device.run_until(began + args.duration)
        for device in devices:
            device.drained.wait(args.duration + 120)
        sending = time.monotonic() - began
        accepted = sum(device.accepted for device in devices)
        deadline = time.monotonic() + 300
        while stored_count(sensor_ids) - stored_before < accepted and time.monotonic() < deadline:
            time.sleep(0.25)
        end_to_end = time.monotonic() - began
        used = {pid: cpu_seconds(pid) - cpu_before[pid] for pid in pids if Path(f"/proc/{pid}").exists()}
        services_used = {name: value - services_before[name] for name, value in services_cpu().items()}
        busy, total = (now - before for now, before in zip(machine_busy(), machine_before))
        generator = sum(os.times()[:2]) - generator_before
        time.sleep(2)
        stored = stored_count(sensor_ids) - stored_before
        messages = sum(device.acked for device in devices)
        latencies = [value for device in devices for value in device.latencies]
        per_message_us = 1e6 / max(messages, 1)

        def cpu_us(group) -> float:
            return sum(used.get(pid, 0.0) for pid in group) * per_message_us

        print(f"\n-- {batch} reading(s) per message: {args.sensors} devices, window {args.window}, "
              f"{len(bridges)} bridge(s), {args.duration:.0f}s --")
        print(f"messages acked: {messages:,} in {sending:.1f}s = {messages / sending:,.0f}/s "
              f"({sum(device.errors for device in devices)} with errors)")
        print(f"readings accepted: {accepted:,} = {accepted / sending:,.0f}/s; end to end (acked -> visible in "
              f"table): {stored:,} in {end_to_end:.1f}s = {stored / end_to_end:,.0f} readings/s")
        if latencies:
            print(f"ack latency: p50 {percentile(latencies, 0.5) * 1000:.1f} ms, "
                  f"p99 {percentile(latencies, 0.99) * 1000:.1f} ms")
        print(f"CPU per message: bridges {cpu_us(bridge_pids):.0f} µs, worker {cpu_us(worker_pids):.0f} µs, "
              f"mosquitto {cpu_us([broker.pid]):.0f} µs, load generator {generator * per_message_us:.0f} µs, "
              + ", ".join(f"{name} {value * per_message_us:.0f} µs" for name, value in services_used.items()))
        print(f"machine CPU busy: {busy / total * 100:.0f}% of {os.cpu_count()} cores")
        verdict = "OK" if stored == accepted else "MISMATCH"
        print(f"stored == acked (0 lost, 0 duplicated): {stored:,} == {accepted:,} -> {verdict}")
        return stored, accepted
    finally:
        for device in devices:
            device.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sensors", type=int, default=16)
    parser.add_argument("--phases", default="100,1", help="readings per message, one phase each")
    parser.add_argument("--window", type=int, default=3,
                        help="frames in flight per device (ack latency ≈ sensors x window x batch / throughput)")
    parser.add_argument("--duration", type=float, default=60, help="seconds per phase")
    parser.add_argument("--bridges", type=int, default=2, help="bridge processes (one shared subscription)")
    parser.add_argument("--worker-concurrency", type=int, default=2)
    parser.add_argument("--commands", type=int, default=200, help="commands timed API -> device")
    args = parser.parse_args()
    if not os.environ.get("REDIS_URL"):
        sys.exit("REDIS_URL must be set: commands reach the bridge over the shared channel layer.")
    batches = [int(value) for value in args.phases.split(",")]

    broker = broker_start(ROOT / "var" / "bench-mqtt")
    setup_django()
    pairs = sensors_prepare(args.sensors)  # provisions each device in the broker's dynamic security
    sensor_ids = [sensor_id for sensor_id, _ in pairs]
    telemetry_queue_purge()
    worker = start([str(BIN / "celery"), "-A", "project", "worker", "-l", "warning", "-Q", "telemetry,celery",
                    "-P", "threads", "-c", str(args.worker_concurrency), "--without-gossip", "--without-mingle",
                    "-n", f"bench-mqtt-{os.getpid()}@%h"], "mqtt-worker")
    bridges = [start([sys.executable, "manage.py", "mqtt_bridge", "--client-id", f"bench-bridge-{n}"],
                     f"mqtt-bridge-{n}", LOG_LEVEL="INFO") for n in range(args.bridges)]
    args.daphne_port = free_port()
    daphne = start([str(BIN / "daphne"), "-b", "127.0.0.1", "-p", str(args.daphne_port), "project.asgi:application"],
                   "mqtt-daphne")
    ok = True
    try:
        wait_http(f"http://127.0.0.1:{args.daphne_port}/health")
        bridges_connected(args.bridges)
        for number, batch in enumerate(batches):
            # Each phase stamps its readings from its own hour, so phases never share a timestamp.
            k = first_k(batch, datetime.now(timezone.utc) - timedelta(hours=2 * (len(batches) - number) + 1))
            stored, accepted = phase(batch=batch, args=args, pairs=pairs, sensor_ids=sensor_ids, k=k,
                                     bridges=bridges, worker=worker, broker=broker)
            ok = ok and stored == accepted
        devices = [BenchDevice(sensor_id=sensor_id, token=token, batch=1, window=1, k=0)
                   for sensor_id, token in pairs[:4]]
        time.sleep(1)  # their status reaches the bridges: they are online, commands go straight to them
        try:
            latencies = command_latencies(args.daphne_port, devices, args.commands)
        finally:
            for device in devices:
                device.close()
        print(f"\ncommand latency API -> device ({len(latencies)} commands): p50 "
              f"{percentile(latencies, 0.5) * 1000:.1f} ms, p99 {percentile(latencies, 0.99) * 1000:.1f} ms")
    finally:
        for process in [daphne, *bridges, worker, broker]:
            process.send_signal(signal.SIGTERM)
        for process in [daphne, *bridges, worker, broker]:
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                process.kill()
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
