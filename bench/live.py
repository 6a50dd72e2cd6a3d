"""Live-path benchmark: D simulated devices x H Hz through two Daphne processes and Redis,
V viewers per sensor; device→viewer latency from one clock, frames delivered, dropped.

    DATABASE_URL=postgres://… REDIS_URL=redis://… CELERY_BROKER_URL=amqp://… \
        .venv/bin/python bench/live.py --devices 50 --hz 20 --viewers 2 --seconds 30

Device i connects to server i % 2; viewer j of a sensor to server (i + j + 1) % 2, so half
the viewers (all of them with V=1) watch a device held by the other process. The cold path
is the production one: Daphne publishes each frame to the broker and a Celery worker writes
it (`--cold eager` writes in the Daphne process instead). Latency is measured in this one
process: time the device frame was sent → time the viewer frame arrived.
"""

import argparse
import asyncio
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings_test")


def setup_django():
    import django

    django.setup()
    from django.conf import settings

    if not (settings.DATABASES["default"]["ENGINE"].endswith("postgresql") and settings.REDIS_URL):
        sys.exit("bench/live.py needs DATABASE_URL (PostgreSQL) and REDIS_URL: it measures the services stack.")


def fleet_prepare(devices: int) -> tuple[list[tuple[str, str]], str]:
    from django.core.management import call_command
    from rest_framework_simplejwt.tokens import AccessToken

    from sensors.models import Sensor
    from sensors.services import sensor_create, sensor_token_rotate
    from users.models import User

    call_command("migrate", verbosity=0)
    user = User.objects.filter(username="bench").first() or User.objects.create_user("bench", password=None)
    fleet = []
    for index in range(1, devices + 1):
        sensor_id = f"bench-{index:03d}"
        sensor = Sensor.objects.filter(pk=sensor_id).first()
        if sensor is None:
            _, token = sensor_create(owner=user, id=sensor_id, name=f"Bench {index}", device_type="imu")
        else:
            token = sensor_token_rotate(sensor=sensor)
        fleet.append((sensor_id, token))
    return fleet, str(AccessToken.for_user(user))


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Tally:
    def __init__(self):
        self.sent_at: dict[tuple[str, str], float] = {}
        self.latencies: list[float] = []
        self.delivered = 0
        self.dropped = 0
        self.measuring = False

    def sent(self, readings: list[dict]) -> None:
        now = time.perf_counter()
        for reading in readings:
            self.sent_at[(reading["sensor_id"], reading["timestamp"])] = now

    def received(self, frame: dict, now: float) -> None:
        sent = self.sent_at.get((frame["sensor_id"], frame["timestamp"]))
        if self.measuring and sent is not None:
            self.latencies.append(now - sent)
            self.delivered += 1


async def viewer(url: str, tally: Tally, stop: asyncio.Event) -> None:
    import websockets

    async with websockets.connect(url, max_size=2**22, ping_interval=None) as socket:
        while not stop.is_set():
            try:
                text = await asyncio.wait_for(socket.recv(), 0.5)
            except asyncio.TimeoutError:
                continue
            now = time.perf_counter()
            frame = json.loads(text)
            kind = frame["type"]
            if kind == "reading":
                tally.received(frame, now)
            elif kind == "batch":
                for inner in frame["frames"]:
                    tally.received(inner, now)
            elif kind == "dropped" and tally.measuring:
                tally.dropped += frame["count"]


async def run(args, fleet, jwt, servers) -> dict:
    from sensors.simulator import SimulatedDevice

    tally, stop = Tally(), asyncio.Event()
    query = f"?token={jwt}" + (f"&max_fps={args.max_fps}" if args.max_fps else "")
    viewers = [asyncio.ensure_future(viewer(
        f"{servers[(i + j + 1) % 2].ws_url}/ws/data/stream/{sensor_id}/{query}", tally, stop))
        for i, (sensor_id, _) in enumerate(fleet) for j in range(args.viewers)]
    await asyncio.sleep(2)  # every viewer subscribed before the first frame
    devices = [SimulatedDevice(sensor_id=sensor_id, token=token, url=servers[i % 2].ws_url, hz=args.hz,
                               on_sent=tally.sent) for i, (sensor_id, token) in enumerate(fleet)]
    device_tasks = [asyncio.ensure_future(device.run(stop)) for device in devices]
    await asyncio.sleep(args.warmup)
    cpu_before = [cpu_seconds(server.process.pid) for server in servers]
    tally.measuring, started = True, time.perf_counter()
    acked_before = sum(device.acked for device in devices)
    sent_before = sum(device.seq for device in devices)
    await asyncio.sleep(args.seconds)
    tally.measuring, elapsed = False, time.perf_counter() - started
    sent = sum(device.seq for device in devices) - sent_before
    acked = sum(device.acked for device in devices) - acked_before
    cpu_used = [cpu_seconds(server.process.pid) - before for server, before in zip(servers, cpu_before)]
    stop.set()
    await asyncio.gather(*device_tasks, *viewers, return_exceptions=True)
    latencies = sorted(tally.latencies) or [float("nan")]
    return {
        "devices": args.devices, "hz": args.hz, "viewers_per_sensor": args.viewers, "seconds": round(elapsed, 1),
        "device_frames_per_s": round(sent / elapsed), "acked_per_s": round(acked / elapsed),
        "delivered_frames_per_s": round(tally.delivered / elapsed), "expected_frames_per_s":
            round(sent * args.viewers / elapsed), "dropped": tally.dropped,
        "latency_ms": {"p50": round(1000 * statistics.median(latencies), 1),
                       "p99": round(1000 * latencies[int(0.99 * (len(latencies) - 1))], 1),
                       "max": round(1000 * latencies[-1], 1)},
        # On a shared machine rates are the share of CPU the stack got; CPU per frame compares runs.
        "daphne_cpu_share": [round(used / elapsed, 2) for used in cpu_used],
        "daphne_cpu_ms_per_device_frame": round(1000 * sum(cpu_used) / max(sent, 1), 2),
        "load_average": os.getloadavg()[0],
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--devices", type=int, default=50)
    parser.add_argument("--hz", type=float, default=20)
    parser.add_argument("--viewers", type=int, default=2, help="viewers per sensor")
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--warmup", type=float, default=3)
    parser.add_argument("--max-fps", type=float, default=0, help="viewers ask for this rate cap")
    parser.add_argument("--cold", choices=["worker", "eager"], default="worker")
    args = parser.parse_args()

    setup_django()
    from contextlib import ExitStack

    from tests.servers import celery_worker, daphne_server

    fleet, jwt = fleet_prepare(args.devices)
    eager = "1" if args.cold == "eager" or not os.environ.get("CELERY_BROKER_URL") else "0"
    with ExitStack() as stack:
        if eager == "0":
            stack.enter_context(celery_worker(queues="telemetry,celery", concurrency=1))
        servers = [stack.enter_context(daphne_server(CELERY_TASK_ALWAYS_EAGER=eager)) for _ in range(2)]
        result = asyncio.run(run(args, fleet, jwt, servers))
    result["cold_path"] = "eager (in Daphne)" if eager == "1" else "broker + 1 Celery worker"
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
