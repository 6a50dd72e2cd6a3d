"""The `sensorium` console script, run as a real process against a real server: exit codes,
messages, a 100,000-row import with bad rows, export, and a live tail."""

import csv
import gzip
import json
import os
import select
import subprocess
import sys
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import httpx
import pytest

from accounts import PASSWORDS
from sensorium_client.testing import LiveServer, eventually, free_port

SENSORIUM = str(Path(sys.executable).parent / "sensorium")


@pytest.fixture
def cli(tmp_path, server):
    cache = tmp_path / "cli-session.sqlite3"

    def run(*args, password=None, check=None, timeout=300):
        env = dict(os.environ, SENSORIUM_CACHE=str(cache))
        env.pop("SENSORIUM_URL", None)
        if password is not None:
            env["SENSORIUM_PASSWORD"] = password
        done = subprocess.run([SENSORIUM, *args], env=env, capture_output=True, text=True, timeout=timeout)
        if check is not None:
            assert done.returncode == check, (done.returncode, done.stdout, done.stderr)
        return done

    run.cache = cache
    return run


@pytest.fixture
def signed_in(cli, server):
    cli("login", "--url", server.url, "--username", "alice", password=PASSWORDS["alice"], check=0)
    return cli


def test_login_sensors_and_logout_with_reliable_exit_codes(cli, server):
    wrong = cli("login", "--url", server.url, "--username", "alice", password="nope")
    assert wrong.returncode == 3 and wrong.stderr.startswith("error: ")
    assert cli("sensors", "list").returncode == 3  # not signed in
    cli("login", "--url", server.url, "--username", "alice", password=PASSWORDS["alice"], check=0)

    sensor_id = f"cli-{uuid.uuid4().hex[:6]}"
    created = cli("sensors", "create", sensor_id, "--name", "Drill press", check=0)
    token = created.stdout.strip()
    assert len(token) > 20 and "not shown again" in created.stderr
    listed = cli("sensors", "list", check=0).stdout
    assert sensor_id in listed and "Drill press" in listed
    assert json.loads(cli("sensors", "list", "--json", check=0).stdout.splitlines()[0])["owner"] == "alice"
    rotated = cli("sensors", "rotate-token", sensor_id, check=0).stdout.strip()
    assert rotated and rotated != token

    taken = cli("sensors", "create", sensor_id, "--name", "again")
    assert taken.returncode == 5 and "id" in taken.stderr
    bad_mac = cli("sensors", "create", f"{sensor_id}-2", "--name", "x", "--mac", "zz")
    assert bad_mac.returncode == 5 and "mac_address" in bad_mac.stderr
    assert cli("sensors", "rotate-token", "no-such-sensor").returncode == 5

    cli("logout", check=0)
    assert cli("sensors", "list").returncode == 3


def test_an_unreachable_server_exits_4(cli):
    done = cli("login", "--url", f"http://127.0.0.1:{free_port()}", "--username", "alice", password="x")
    assert done.returncode == 4 and "unreachable" in done.stderr


def test_usage_errors_exit_2(signed_in, tmp_path):
    assert signed_in("ingest", str(tmp_path / "missing.csv")).returncode == 2
    assert signed_in("sensors", "frobnicate").returncode == 2


@pytest.mark.slow
def test_import_of_100000_rows_names_the_bad_ones_then_export(signed_in, tmp_path):
    sensor_id = f"bulk-{uuid.uuid4().hex[:6]}"
    signed_in("sensors", "create", sensor_id, "--name", "bulk", check=0)
    start = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(hours=2)
    bad_lines = {}
    source = tmp_path / "readings.csv"
    with source.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["sensor_id", "timestamp", "accel_x", "accel_y", "accel_z", "gyro_x", "gyro_y", "gyro_z",
                         "battery_level"])
        for i in range(100_000):
            moment = (start + timedelta(milliseconds=20 * i)).isoformat().replace("+00:00", "Z")
            row = [sensor_id, moment, 0.01, -0.02, round(9.81 + (i % 7) / 100, 2), 0.1, 0.0, -0.3, 80]
            line = i + 2  # the header is line 1
            if i == 17:
                row[1], bad_lines[line] = "2026-11-22T10:00:00", "timestamp"  # no zone
            elif i == 4242:
                row[4], bad_lines[line] = "heavy", "acceleration"
            elif i == 50_000:
                row[8], bad_lines[line] = 150, "battery_level"
            elif i == 99_998:
                row[1], bad_lines[line] = "", "timestamp"
            writer.writerow(row)
    done = signed_in("ingest", str(source), "--rejected-out", str(tmp_path / "rejected.jsonl"), timeout=600)
    assert done.returncode == 6, done.stderr
    assert "100000 rows: 99996 accepted, 4 rejected." in done.stderr
    for line, field in bad_lines.items():
        assert any(text.strip().startswith(f"line {line}: {field}") for text in done.stderr.splitlines()), (
            line, field, done.stderr)
    written = [json.loads(text) for text in (tmp_path / "rejected.jsonl").read_text().splitlines()]
    assert [item["line"] for item in written] == sorted(bad_lines)

    exported = tmp_path / "export.csv"

    def export_all():  # with a broker the worker stores what was acknowledged a moment later
        done = signed_in("export", sensor_id, "-o", str(exported), "--start",
                         (start - timedelta(seconds=1)).isoformat(), "--end", (start + timedelta(hours=1)).isoformat(),
                         check=0)
        return "Wrote 99996 rows" in done.stderr
    eventually(export_all, interval=1, what="99996 rows exported")
    with exported.open() as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 99_996
    assert rows[0]["timestamp"].startswith(start.strftime("%Y-%m-%dT%H:%M:%S"))
    assert float(rows[3]["accel_z"]) == pytest.approx(9.84)
    # The export reads back in: the same readings, stored once (unique per sensor and timestamp).
    again = signed_in("ingest", str(exported), "--sensor", sensor_id, check=0, timeout=600)
    assert "99996 rows: 99996 accepted, 0 rejected." in again.stderr


def test_tail_prints_the_live_stream(signed_in, server, tmp_path):
    sensor_id = f"live-{uuid.uuid4().hex[:6]}"
    token = signed_in("sensors", "create", sensor_id, "--name", "live", check=0).stdout.strip()
    env = dict(os.environ, SENSORIUM_CACHE=str(signed_in.cache))
    tail = subprocess.Popen([SENSORIUM, "tail", sensor_id, "--count", "3", "--json"], env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert select.select([tail.stderr], [], [], 60)[0], "tail printed nothing"
        assert tail.stderr.readline().startswith(f"# {sensor_id} ")  # subscribed: the status frame came
        now = datetime.now(timezone.utc)
        readings = [{"sensor_id": sensor_id, "timestamp": (now + timedelta(milliseconds=i)).isoformat(),
                     "metrics": {"temperature": 21.5 + i}} for i in range(3)]
        response = httpx.post(f"{server.url}/api/v1/data/ingest", json={"readings": readings},
                              headers={"Authorization": f"Device {token}"})
        assert response.status_code == 202
        out, _ = tail.communicate(timeout=60)
    finally:
        tail.kill()
    printed = [json.loads(line) for line in out.splitlines()]
    assert tail.returncode == 0
    assert [frame["metrics"]["temperature"] for frame in printed] == [21.5, 22.5, 23.5]


def test_products_add_and_move_in_plain_words(signed_in):
    name = f"drill {uuid.uuid4().hex[:5]}"
    added = signed_in("products", "add", f"a {name} to garage shelf B", check=0)
    assert name.split()[1] in added.stdout.lower()
    moved = signed_in("products", "move", f"the {name} to shelf C", check=0)
    assert "shelf c" in moved.stdout.lower()
    listed = signed_in("products", "list", "--search", name.split()[1], check=0).stdout
    assert "shelf C" in listed
    nowhere = signed_in("products", "move", f"the {name}")  # to where?
    assert nowhere.returncode == 5 and nowhere.stderr.startswith("error: ") and "location" in nowhere.stderr


@pytest.fixture(scope="module")
def s3_server(tmp_path_factory):
    """moto's S3 server on loopback (from the server's test tools) and a Sensorium server
    exporting to it."""
    moto = Path(sys.executable).parent / "moto_server"
    if not moto.exists():
        pytest.skip(f"moto_server is not installed beside {sys.executable}: the S3 export cannot be tested")
    port = free_port()
    log = (tmp_path_factory.mktemp("moto") / "moto.log").open("w")
    process = subprocess.Popen([str(moto), "-H", "127.0.0.1", "-p", str(port)], stdout=log, stderr=subprocess.STDOUT)
    endpoint = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                if httpx.put(f"{endpoint}/sensorium-exports", timeout=1).status_code == 200:  # the bucket
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        with LiveServer(embedded=True, S3_ENDPOINT_URL=endpoint, S3_BUCKET_DATA="sensorium-exports", S3_ACCESS_KEY_ID="test",
                        S3_SECRET_ACCESS_KEY="test") as live:
            live.users(PASSWORDS)
            yield live
    finally:
        process.terminate()
        process.wait(10)
        log.close()


def test_export_through_an_s3_job_downloads_the_gzip_csv(s3_server, tmp_path):
    cache = tmp_path / "s3-session.sqlite3"
    env = dict(os.environ, SENSORIUM_CACHE=str(cache), SENSORIUM_PASSWORD=PASSWORDS["alice"])

    def run(*args):
        return subprocess.run([SENSORIUM, *args], env=env, capture_output=True, text=True, timeout=300)

    assert run("login", "--url", s3_server.url, "--username", "alice").returncode == 0
    sensor_id = f"s3-{uuid.uuid4().hex[:6]}"
    assert run("sensors", "create", sensor_id, "--name", "exported", "--type", "energy_meter").returncode == 0
    start = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(minutes=30)
    source = tmp_path / "meter.jsonl"
    source.write_text("".join(json.dumps({"sensor_id": sensor_id, "timestamp": (start + timedelta(seconds=i)).isoformat(),
                                          "metrics": {"power": 100 + i}}) + "\n" for i in range(120)))
    assert run("ingest", str(source)).returncode == 0
    target = tmp_path / "export.csv.gz"
    done = run("export", sensor_id, "--s3", "-o", str(target), "--start", (start - timedelta(seconds=1)).isoformat())
    assert done.returncode == 0, done.stderr
    assert "Wrote 120 rows" in done.stderr
    with gzip.open(target, "rt") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 120 and {row["name"] for row in rows} == {"power"}
