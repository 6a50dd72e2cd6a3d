"""Structured logs: request ids, the JSON lines on stdout and in the file, the JSON 500, rotated-file upload."""

import gzip
import json
import logging
import logging.handlers
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from core.logs import JsonFormatter, log_context
from tests.servers import free_port
from workers.tasks.storage import blinks_export_daily, logs_upload


def test_a_request_id_is_taken_from_the_caller_or_made(db):
    assert Client().get("/health", HTTP_X_REQUEST_ID="edge-7f3a.1")["X-Request-ID"] == "edge-7f3a.1"
    made = Client().get("/health")["X-Request-ID"]
    assert len(made) == 32 and int(made, 16) >= 0
    assert Client().get("/health", HTTP_X_REQUEST_ID="bad id\r\nx")["X-Request-ID"] != "bad id\r\nx"


@pytest.mark.urls("tests.wellness.urls_failing")
@pytest.mark.parametrize("path", ["/api/v1/failing", "/api/v1/failing-plain"])
def test_an_unhandled_error_is_a_json_500_and_its_traceback_is_logged_with_the_request_id(
        db, user, path, caplog):
    client = Client(raise_request_exception=False)
    client.force_login(user)
    response = client.get(path, HTTP_X_REQUEST_ID="req-500-check")
    assert response.status_code == 500
    assert response.json() == {"error": "Internal server error (request id req-500-check).", "details": {}}
    assert b"hunter2" not in response.content and b"Traceback" not in response.content

    [record] = [r for r in caplog.records if r.exc_info and getattr(r, "request_id", None) == "req-500-check"]
    line = json.loads(JsonFormatter().format(record))
    assert line["level"] == "ERROR" and line["request_id"] == "req-500-check"
    assert "Traceback" in line["exc"] and "RuntimeError" in line["exc"] and "hunter2" in line["exc"]
    if path == "/api/v1/failing":
        assert line["user"] == "alice"  # DRF authenticated the request before the view failed

    files = [handler for handler in logging.getLogger().handlers if isinstance(handler, logging.FileHandler)
             and os.path.dirname(handler.baseFilename) == os.path.abspath(settings.LOG_DIR)]
    for handler in files:
        handler.flush()
    (log_file,) = {Path(handler.baseFilename) for handler in files}  # LOG_DIR/<program>.log
    logged = [json.loads(text) for text in log_file.read_text().splitlines() if "req-500-check" in text]
    assert any("RuntimeError" in entry.get("exc", "") for entry in logged)


def test_log_lines_carry_the_sensor_and_the_task_id(db, caplog, settings):
    caplog.set_level(logging.INFO)
    with log_context(sensor="imu-001"):
        logging.getLogger("sensorium.test").info("calibrated", extra={"offset": 0.25})
    line = json.loads(JsonFormatter().format(caplog.records[-1]))
    assert (line["sensor"], line["message"], line["offset"]) == ("imu-001", "calibrated", 0.25)

    settings.S3_BUCKET_DATA = ""
    result = blinks_export_daily.delay()
    [record] = [r for r in caplog.records if "Daily blink export skipped" in r.getMessage()]
    assert record.task_id == result.id


def _rotate_a_few_times(log_dir) -> tuple[logging.Logger, list[bytes]]:
    handler = logging.handlers.RotatingFileHandler(log_dir / "daphne.log", maxBytes=300, backupCount=5)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("sensorium.rotation-test")
    logger.propagate = False
    logger.addHandler(handler)
    for n in range(12):
        logger.warning("line %s %s", n, "x" * 60)
    handler.close()
    logger.removeHandler(handler)
    rotated = sorted(log_dir.glob("daphne.log.*"))
    assert len(rotated) >= 2
    return logger, [path.read_bytes() for path in rotated]


def test_rotated_log_files_are_uploaded_and_then_removed(s3, settings, tmp_path):
    settings.LOG_DIR = tmp_path
    _, contents = _rotate_a_few_times(tmp_path)
    result = logs_upload.delay().get()
    assert len(result["uploaded"]) == len(contents)
    bucket = s3.env["S3_BUCKET_LOGS"]
    objects = s3.list_objects_v2(Bucket=bucket)["Contents"]
    uploaded = sorted(gzip.decompress(s3.get_object(Bucket=bucket, Key=o["Key"])["Body"].read()) for o in objects)
    assert uploaded == sorted(contents)
    assert all(o["Key"].endswith(".log.gz") and "/daphne-" in o["Key"] for o in objects)
    assert [path.name for path in tmp_path.iterdir()] == ["daphne.log"]  # the live file stays
    assert logs_upload.delay().get() == {"uploaded": []}


def test_log_files_stay_when_s3_is_down(s3, settings, tmp_path):
    settings.LOG_DIR = tmp_path
    settings.S3_ENDPOINT_URL = f"http://127.0.0.1:{free_port()}"
    settings.S3_MAX_RETRIES = 1
    _, contents = _rotate_a_few_times(tmp_path)
    result = logs_upload.delay().get()
    assert result["uploaded"] == [] and "S3 unreachable after 2 attempts" in result["failed"]
    kept = sorted(path.read_bytes() for path in tmp_path.iterdir() if path.name != "daphne.log")
    assert kept == sorted(contents)  # claimed, not lost: the next run uploads them


WRITER = """
import logging, os, sys, time
import django
django.setup()
log = logging.getLogger("sensorium.writer")
for n in range(300):
    log.warning("process %s line %s %s", os.getpid(), n, "x" * 200)
    time.sleep(0.002)
"""


def test_several_processes_share_one_log_file_and_follow_it_when_logrotate_moves_it(tmp_path):
    script = tmp_path / "writer.py"
    script.write_text(WRITER)
    log_dir = tmp_path / "log"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "project.settings_test", "LOG_DIR": str(log_dir),
           "PYTHONPATH": str(settings.BASE_DIR)}
    writers = [subprocess.Popen([sys.executable, str(script)], env=env, stdout=subprocess.DEVNULL)
               for _ in range(2)]
    live = log_dir / "writer.log"
    deadline = time.monotonic() + 30
    while (not live.exists() or live.stat().st_size < 20_000) and time.monotonic() < deadline:
        time.sleep(0.01)
    live.rename(log_dir / "writer.log.1")  # what logrotate does
    assert all(writer.wait(60) == 0 for writer in writers)

    lines = [json.loads(line) for path in (log_dir / "writer.log.1", live) for line in path.read_text().splitlines()]
    per_process: dict[str, set[str]] = {}
    for line in lines:
        _, pid, _, n, _ = line["message"].split(" ", 4)
        per_process.setdefault(pid, set()).add(n)
    assert len(per_process) == 2 and all(len(seen) == 300 for seen in per_process.values())
    assert live.stat().st_size > 0  # both went on writing into the new file
