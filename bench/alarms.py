"""Alarms under ingest load: the ingest benchmark with and without rules, in one run.

Starts one Celery worker (queues telemetry,alerts,celery) and N Daphne processes on the
services stack (as bench/ingest.py, whose pieces it uses), registers S IMU sensors, then:

1. runs the ingest load (every sensor POSTing batches as fast as answered) for DURATION
   seconds with no rules;
2. gives every sensor RULES rules (acceleration.z above 50, battery below 5 %, gyroscope.x
   outside [-500, 500]: evaluated on every reading, never met unless --firing) and runs the
   same load again, while a probe measures alarm latency: T trigger meters each send a power
   reading over their limit, wait for the "raised" frame on /ws/fleet/, send one back under
   it, wait for "cleared", and so on. Latency = the triggering reading's POST → the frame.

3. runs the rules phase again paced at PACED of phase 1's end-to-end rate, probing again:
   flat out, the web accepts faster than one worker writes, so a backlog builds and every
   reading, the triggering one too, waits in it; paced, the latency is the pipeline's own.

Prints end-to-end readings/s of phases 1 and 2 and their ratio (target: within 10 %), web +
worker CPU per 1,000 readings (steadier than readings/s on a busy machine), and the raise
latency p50/p99/max of phases 2 and 3 (target: p99 under 1 s, paced).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/sensorium_bench \\
    CELERY_BROKER_URL=amqp://guest:guest@127.0.0.1:5672/bench REDIS_URL=redis://127.0.0.1:6379/9 \\
    .venv/bin/python bench/alarms.py --sensors 1000 --rules 3 --batch 500 --daphne 2 --duration 60

Not part of the test suite; results go to bench/RESULTS.md.
"""

import argparse
import asyncio
import json
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import ingest  # noqa: E402  (bench/ingest.py: setup, sensors, load loop, processes)

LOAD_RULES = [
    {"condition": "above", "field": "acceleration.z", "threshold": 50.0},
    {"condition": "battery_below", "threshold": 5.0},
    {"condition": "outside", "field": "gyroscope.x", "low": -500.0, "high": 500.0},
]
# --firing: the bench bodies' acceleration.x runs 0.00..0.96, so this one holds in every batch.
FIRING_RULE = {"condition": "above", "field": "acceleration.x", "threshold": 0.9, "hysteresis": 0.5}
TRIGGER_LIMIT, TRIGGER_HIGH, TRIGGER_LOW = 1000.0, 1500.0, 100.0


def rules_reset(*, sensor_ids: list[str], per_sensor: int, firing: bool) -> int:
    from alerts.models import Alarm, Rule
    from alerts.rules import rules_changed
    from sensors.models import Sensor

    Rule.objects.filter(owner__username="bench-owner").delete()
    Alarm.objects.filter(owner__username="bench-owner").delete()
    if not per_sensor:
        rules_changed()
        return 0
    owner = Sensor.objects.get(pk=sensor_ids[0]).owner
    templates = ([FIRING_RULE] if firing else []) + LOAD_RULES
    rules = [Rule(owner=owner, sensor_id=sensor_id, name=f"bench {n}", **templates[n % len(templates)])
             for sensor_id in sensor_ids for n in range(per_sensor)]
    Rule.objects.bulk_create(rules, batch_size=2000)
    rules_changed()
    return len(rules)


def triggers_prepare(count: int) -> tuple[list[tuple[str, str]], str]:
    """Energy meters with a power limit, their device tokens, and a JWT of their owner."""
    from rest_framework_simplejwt.tokens import AccessToken

    from sensors.models import Sensor
    from sensors.services import sensor_create, sensor_token_rotate
    from users.models import User

    owner, _ = User.objects.get_or_create(username="bench-owner")
    pairs = []
    for n in range(count):
        sensor_id = f"bench-alarm-{n:02d}"
        sensor = Sensor.objects.filter(pk=sensor_id).first()
        if sensor is None:
            sensor, token = sensor_create(owner=owner, id=sensor_id, name=f"Bench alarm {n}",
                                          device_type="energy_meter")
        else:
            token = sensor_token_rotate(sensor=sensor)
        pairs.append((sensor_id, token))
    return pairs, str(AccessToken.for_user(owner))


def trigger_rules_create(pairs: list[tuple[str, str]]) -> None:
    from alerts.services import rule_create
    from sensors.models import Sensor

    for sensor_id, _ in pairs:
        sensor = Sensor.objects.get(pk=sensor_id)
        rule_create(owner=sensor.owner, sensor=sensor, name="bench power limit", condition="above", field="power",
                    threshold=TRIGGER_LIMIT)


def _metric_body(sensor_id: str, value: float) -> bytes:
    return json.dumps({"sensor_id": sensor_id, "timestamp": int(time.time() * 1000),
                       "metrics": {"power": value}}).encode()


async def latency_probe(*, port: int, pairs, jwt: str, until: float, latencies: list[float], missed: list[str]):
    from websockets.asyncio.client import connect

    waiting: dict[str, tuple[str, float, asyncio.Future]] = {}

    async def read(fleet):
        async for text in fleet:
            frame = json.loads(text)
            if frame.get("type") != "alarm":
                continue
            sensor_id = frame["alarm"]["sensor"]
            expected = waiting.get(sensor_id)
            if expected and expected[0] == frame["event"] and not expected[2].done():
                expected[2].set_result(time.perf_counter() - expected[1])

    async def cycle(sensor_id: str, token: str):
        connection = ingest.Connection(port, {"Authorization": f"Device {token}", "Content-Type": "application/json"})
        loop = asyncio.get_running_loop()
        try:
            while time.monotonic() < until:
                for event, value in (("raised", TRIGGER_HIGH), ("cleared", TRIGGER_LOW)):
                    future = loop.create_future()
                    waiting[sensor_id] = (event, time.perf_counter(), future)
                    await connection.post("/api/v1/data/ingest", _metric_body(sensor_id, value))
                    try:
                        took = await asyncio.wait_for(future, 10)
                    except asyncio.TimeoutError:
                        missed.append(f"{sensor_id} {event}")
                        return
                    if event == "raised":
                        latencies.append(took)
        finally:
            connection.close()

    async with connect(f"ws://127.0.0.1:{port}/ws/fleet/?token={jwt}") as fleet:
        json.loads(await fleet.recv())  # the snapshot
        reader = asyncio.ensure_future(read(fleet))
        await asyncio.gather(*(cycle(sensor_id, token) for sensor_id, token in pairs))
        reader.cancel()


def load_phase(*, pairs, ports, args, k: int, pids_of, probe=None, interval: float = 0.0) -> dict:
    """One run of the load; `pids_of()` names the server and worker processes whose CPU it
    reports per 1,000 readings (less sensitive to a busy machine than readings/s)."""
    sensor_ids = [sensor_id for sensor_id, _ in pairs]
    before = ingest.stored_count(sensor_ids)
    cpu_before = {pid: ingest.cpu_seconds(pid) for pid in pids_of()}
    latencies: list[float] = []
    totals = {"accepted": 0, "failed_requests": 0}
    began = time.monotonic()
    until = began + args.duration

    async def run():
        jobs = [ingest._all_sensors(pairs, ports, args.batch, until, k, latencies, totals, interval)]
        if probe is not None:
            jobs.append(probe(until))
        await asyncio.gather(*jobs)

    asyncio.run(run())
    deadline = time.monotonic() + 300
    while ingest.stored_count(sensor_ids) - before < totals["accepted"] and time.monotonic() < deadline:
        time.sleep(0.25)
    end_to_end = time.monotonic() - began
    stored = ingest.stored_count(sensor_ids) - before
    cpu = sum(ingest.cpu_seconds(pid) - cpu_before.get(pid, 0.0) for pid in pids_of() if Path(f"/proc/{pid}").exists())
    return {"accepted": totals["accepted"], "stored": stored, "seconds": end_to_end, "rate": stored / end_to_end,
            "requests": len(latencies), "failed": totals["failed_requests"],
            "cpu_ms_per_1000": cpu * 1000 * 1000 / max(stored, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sensors", type=int, default=1000)
    parser.add_argument("--rules", type=int, default=3, help="rules per sensor in the second phase")
    parser.add_argument("--firing", action="store_true", help="one of each sensor's rules holds in every batch")
    parser.add_argument("--triggers", type=int, default=4, help="meters raising and clearing alarms for latency")
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--duration", type=float, default=60)
    parser.add_argument("--daphne", type=int, default=2)
    parser.add_argument("--worker-concurrency", type=int, default=2)
    parser.add_argument("--worker-pool", default="threads", choices=["prefork", "threads", "solo"])
    parser.add_argument("--paced", type=float, default=0.6,
                        help="load of the latency phase, as a fraction of the end-to-end rate without rules")
    args = parser.parse_args()

    ingest.setup_django()
    pairs = ingest.sensors_prepare(args.sensors)
    sensor_ids = [sensor_id for sensor_id, _ in pairs]
    trigger_pairs, jwt = triggers_prepare(args.triggers)
    rules_reset(sensor_ids=sensor_ids, per_sensor=0, firing=False)
    ingest.telemetry_queue_purge()

    worker = ingest.start([str(ingest.BIN / "celery"), "-A", "project", "worker", "-l", "warning",
                           "-Q", "telemetry,alerts,celery", "-P", args.worker_pool, "-c", str(args.worker_concurrency),
                           "--without-gossip", "--without-mingle", "-n", f"bench-alarms-{time.time_ns()}@%h"],
                          "alarms-worker")
    ports = [ingest.free_port() for _ in range(args.daphne)]
    servers = [ingest.start([str(ingest.BIN / "daphne"), "-b", "127.0.0.1", "-p", str(port),
                             "project.asgi:application"], f"alarms-daphne-{port}") for port in ports]
    latencies: list[float] = []
    saturated: list[float] = []
    missed: list[str] = []
    try:
        for port in ports:
            ingest.wait_http(f"http://127.0.0.1:{port}/health")
        def pids_of():
            return [*(server.pid for server in servers), *ingest.process_tree(worker.pid)]

        # Each phase stamps its readings from its own hour in the past (a sensor sends one body
        # of `batch` readings per K, one K per second of timestamps, far fewer than 3,600 a
        # phase), so no phase repeats another's readings and none runs into the future, which
        # the server refuses.
        started = datetime.now(timezone.utc)

        def k_of(phase: int) -> int:
            return ingest.first_k(args.batch, started - timedelta(hours=4 - phase))

        warm = load_phase(pairs=pairs, ports=ports, args=argparse.Namespace(**{**vars(args), "duration": 0.001}),
                          k=k_of(0), pids_of=pids_of)
        without = load_phase(pairs=pairs, ports=ports, args=args, k=k_of(1), pids_of=pids_of)

        rule_count = rules_reset(sensor_ids=sensor_ids, per_sensor=args.rules, firing=args.firing)
        trigger_rules_create(trigger_pairs)

        def probe_into(latencies):
            def probe(until):
                return latency_probe(port=ports[0], pairs=trigger_pairs, jwt=jwt, until=until, latencies=latencies,
                                     missed=missed)
            return probe

        with_rules = load_phase(pairs=pairs, ports=ports, args=args, k=k_of(2), pids_of=pids_of,
                                probe=probe_into(saturated))
        # The same rules at a rate the cold path keeps up with: flat out, the web accepts faster
        # than one worker writes and every reading (alarms too) waits behind the backlog.
        interval = args.sensors * args.batch / (args.paced * without["rate"]) if without["rate"] else 1.0
        paced = load_phase(pairs=pairs, ports=ports, args=args, k=k_of(3), pids_of=pids_of, probe=probe_into(latencies),
                           interval=interval)
        from alerts.models import Alarm

        load_alarms = Alarm.objects.filter(sensor_id__in=sensor_ids).count()
    finally:
        ingest.processes_stop([*servers, worker])

    print(f"sensors={args.sensors} batch={args.batch} duration={args.duration:.0f}s daphne={args.daphne} "
          f"worker: one, pool {args.worker_pool} x {args.worker_concurrency}")
    for name, phase in (("without rules", without), (f"with {rule_count} rules", with_rules),
                        (f"with {rule_count} rules, paced at {args.paced:.0%}", paced)):
        print(f"{name}: {phase['stored']:,} stored of {phase['accepted']:,} accepted in {phase['seconds']:.1f}s = "
              f"{phase['rate']:,.0f} readings/s end to end ({phase['requests']} requests, {phase['failed']} failed); "
              f"web + worker CPU {phase['cpu_ms_per_1000']:.1f} ms per 1,000 readings")
    ratio = with_rules["rate"] / without["rate"] if without["rate"] else 0.0
    print(f"with rules / without: {ratio * 100:.1f} % (target >= 90 %); alarms raised by the load rules: {load_alarms}")
    for name, measured in (("flat out (behind the cold path's backlog)", saturated), ("paced", latencies)):
        if measured:
            print(f"reading -> alarm on /ws/fleet/, {name}: {len(measured)} raises, "
                  f"p50 {ingest.percentile(measured, 0.5) * 1000:.0f} ms, p99 {ingest.percentile(measured, 0.99) * 1000:.0f} ms, "
                  f"max {max(measured) * 1000:.0f} ms")
    print("target: p99 < 1000 ms paced")
    if missed:
        print(f"frames never seen within 10 s: {missed}")
    ok = (ratio >= 0.9 and latencies and ingest.percentile(latencies, 0.99) < 1.0 and not missed
          and all(phase["stored"] == phase["accepted"] for phase in (without, with_rules, paced)))
    print("OK" if ok else "TARGET MISSED")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
