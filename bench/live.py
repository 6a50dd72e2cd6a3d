"""Live-path benchmark: D simulated devices x H Hz through two Daphne processes and Redis,
V viewers per sensor; device→viewer latency from one clock, frames delivered, dropped.

    DATABASE_URL=postgres://… REDIS_URL=redis://… CELERY_BROKER_URL=amqp://… \
        .venv/bin/python bench/live.py --devices 50 --hz 20 --viewers 2 --seconds 30

Device i connects to server i % 2; viewer j of a sensor to server (i + j + 1) % 2, so half
the viewers (all of them with V=1) watch a device held by the other process. The cold path
is the production one: Daphne publishes each frame to the broker and a Celery worker writes
it (`--cold eager` writes in the Daphne process instead). Devices run in this process and
viewers in `--viewer-processes` others; latency is the viewer's arrival time minus the
reading's timestamp, which the device sets as it sends (one clock: this machine's; the
timestamp has millisecond resolution, so a latency may read up to 1 ms high).
"""

import argparse
import asyncio
import json
import os
import statistics
import sys
import time
from datetime import datetime
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


def epoch_of(timestamp: str) -> float:
    return datetime.fromisoformat(timestamp.replace("Z", "+00:00")).timestamp()


class Window:
    """The measured interval, in wall-clock seconds shared by every process of the run.
    A frame counts when its reading's timestamp (set by the device as it sends) falls in it."""

    def __init__(self, start: float, seconds: float):
        self.start, self.end = start, start + seconds

    def holds(self, epoch: float) -> bool:
        return self.start <= epoch < self.end


async def viewers_watch(urls: list[str], window: Window, grace: float) -> dict:
    """One viewer process: every socket in `urls`; latency = arrival − the reading's timestamp."""
    import websockets

    latencies: list[float] = []
    dropped = 0

    def count(frame: dict, arrived: float) -> None:
        sent = epoch_of(frame["timestamp"])
        if window.holds(sent):
            latencies.append(arrived - sent)

    async def watch(url: str) -> None:
        nonlocal dropped
        async with websockets.connect(url, max_size=2**22, ping_interval=None) as socket:
            while time.time() < window.end + grace:
                try:
                    text = await asyncio.wait_for(socket.recv(), 0.5)
                except asyncio.TimeoutError:
                    continue
                arrived = time.time()
                frame = json.loads(text)
                kind = frame["type"]
                if kind == "reading":
                    count(frame, arrived)
                elif kind == "batch":
                    for inner in frame["frames"]:
                        count(inner, arrived)
                elif kind == "dropped" and window.holds(arrived):
                    dropped += frame["count"]

    await asyncio.gather(*(watch(url) for url in urls))
    return {"latencies": latencies, "dropped": dropped, "cpu": time.process_time()}


def viewer_process(urls: list[str], window: Window, grace: float, results) -> None:
    results.send(asyncio.run(viewers_watch(urls, window, grace)))
    results.close()


async def devices_run(args, fleet, servers, window: Window) -> dict:
    from sensors.simulator import SimulatedDevice

    sent_in_window = 0

    def on_sent(readings: list[dict]) -> None:
        nonlocal sent_in_window
        sent_in_window += sum(1 for reading in readings if window.holds(epoch_of(reading["timestamp"])))

    await asyncio.sleep(max(0.0, window.start - args.warmup - time.time()))  # viewers subscribe first
    stop = asyncio.Event()
    devices = [SimulatedDevice(sensor_id=sensor_id, token=token, url=servers[i % 2].ws_url, hz=args.hz,
                               on_sent=on_sent) for i, (sensor_id, token) in enumerate(fleet)]
    tasks = [asyncio.ensure_future(device.run(stop)) for device in devices]
    await asyncio.sleep(max(0.0, window.start - time.time()))
    cpu_before = [cpu_seconds(server.process.pid) for server in servers]
    acked_before = sum(device.acked for device in devices)
    await asyncio.sleep(max(0.0, window.end - time.time()))
    acked = sum(device.acked for device in devices) - acked_before
    cpu_used = [cpu_seconds(server.process.pid) - before for server, before in zip(servers, cpu_before)]
    stop.set()
    await asyncio.gather(*tasks, return_exceptions=True)
    return {"sent": sent_in_window, "acked": acked, "daphne_cpu": cpu_used, "cpu": time.process_time()}


def run(args, fleet, jwt, servers) -> dict:
    """Devices in this process, viewers in `--viewer-processes` others, so that no client
    event loop is both sending and timing."""
    import multiprocessing

    query = f"?token={jwt}" + (f"&max_fps={args.max_fps}" if args.max_fps else "")
    urls = [f"{servers[(i + j + 1) % 2].ws_url}/ws/data/stream/{sensor_id}/{query}"
            for i, (sensor_id, _) in enumerate(fleet) for j in range(args.viewers)]
    settle = 2.0  # viewers connected and subscribed before the first device frame
    window = Window(time.time() + settle + args.warmup, args.seconds)
    grace = 2.0  # a frame later than this after the window is not delivered
    fork = multiprocessing.get_context("fork")
    pipes, processes = [], []
    for part in range(args.viewer_processes):
        receiving, sending = fork.Pipe(duplex=False)
        process = fork.Process(target=viewer_process, args=(urls[part::args.viewer_processes], window, grace, sending))
        process.start()
        pipes.append(receiving)
        processes.append(process)
    devices = asyncio.run(devices_run(args, fleet, servers, window))
    watched = [pipe.recv() for pipe in pipes]
    for process in processes:
        process.join()
    latencies = sorted(latency for each in watched for latency in each["latencies"]) or [float("nan")]
    seconds = window.end - window.start
    return {
        "devices": args.devices, "hz": args.hz, "viewers_per_sensor": args.viewers, "seconds": seconds,
        "device_frames_per_s": round(devices["sent"] / seconds), "acked_per_s": round(devices["acked"] / seconds),
        "delivered_frames_per_s": round(sum(len(each["latencies"]) for each in watched) / seconds),
        "expected_frames_per_s": round(devices["sent"] * args.viewers / seconds),
        "dropped": sum(each["dropped"] for each in watched),
        "latency_ms": {"p50": round(1000 * statistics.median(latencies), 1),
                       "p99": round(1000 * latencies[int(0.99 * (len(latencies) - 1))], 1),
                       "max": round(1000 * latencies[-1], 1)},
        # On a shared machine rates are the share of CPU the stack got; CPU per frame compares runs.
        "daphne_cpu_share": [round(used / seconds, 2) for used in devices["daphne_cpu"]],
        "daphne_cpu_ms_per_device_frame": round(1000 * sum(devices["daphne_cpu"]) / max(devices["sent"], 1), 2),
        "client_cpu_s": {"devices": round(devices["cpu"], 1), "viewers": [round(each["cpu"], 1) for each in watched]},
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
    parser.add_argument("--viewer-processes", type=int, default=2)
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
        result = run(args, fleet, jwt, servers)
    result["cold_path"] = "eager (in Daphne)" if eager == "1" else "broker + 1 Celery worker"
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
