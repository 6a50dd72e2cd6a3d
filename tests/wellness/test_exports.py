"""Exports against a real S3-compatible server (moto in server mode on loopback)."""

import csv
import gzip
import io
import urllib.request
from datetime import datetime, timedelta, timezone

import pytest
from django.test import Client

from core.storage import download_url
from telemetry import ingest
from telemetry.models import ExportJob
from tests.servers import free_port

START = datetime(2026, 11, 20, 8, 0, tzinfo=timezone.utc)


def csv_rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(gzip.decompress(data).decode())))


def object_rows(client, bucket: str, key: str) -> list[list[str]]:
    return csv_rows(client.get_object(Bucket=bucket, Key=key)["Body"].read())


@pytest.fixture
def imu_sensor(make_sensor, user):
    sensor, _ = make_sensor(owner=user)
    readings = [{"sensor_id": sensor.pk, "timestamp": (START + timedelta(seconds=i)).isoformat(),
                 "acceleration": {"x": i, "y": 0.5, "z": 9.81}, "gyroscope": {"x": 0, "y": 0, "z": -0.25},
                 "battery_level": 80} for i in range(3)]
    assert ingest.accept(payload=readings, source="test").accepted == 3
    return sensor


def export_request(client, capture, **body):
    with capture(execute=True):
        response = client.post("/api/v1/exports", body, format="json")
    return response


def test_export_job_runs_and_its_presigned_url_downloads_the_csv(
        s3, alice_client, imu_sensor, django_capture_on_commit_callbacks):
    response = export_request(alice_client, django_capture_on_commit_callbacks, sensor=imu_sensor.pk,
                              start=START.isoformat(), end=(START + timedelta(hours=1)).isoformat())
    assert response.status_code == 202, response.content
    job_id = response.json()["id"]
    assert response["Location"] == f"/api/v1/exports/{job_id}"

    job = alice_client.get(f"/api/v1/exports/{job_id}").json()
    assert (job["status"], job["kind"], job["rows"], job["attempts"], job["error"]) == ("done", "imu", 3, 1, "")
    with urllib.request.urlopen(job["download_url"], timeout=10) as download:
        assert download.status == 200
        rows = csv_rows(download.read())
    assert rows[0] == ["timestamp", "accel_x", "accel_y", "accel_z", "gyro_x", "gyro_y", "gyro_z",
                       "battery_level", "signal_strength"]
    assert rows[1:] == [[f"2026-11-20T08:00:0{i}.000Z", f"{float(i)}", "0.5", "9.81", "0.0", "0.0", "-0.25", "80", ""]
                        for i in range(3)]
    stored = ExportJob.objects.get(pk=job_id)
    assert stored.key == f"exports/user-{stored.user_id}/{imu_sensor.pk}/{job_id}.csv.gz"
    assert object_rows(s3, s3.env["S3_BUCKET_DATA"], stored.key) == rows


def test_an_eye_trackers_export_is_its_blink_records(s3, alice_client, record, day,
                                                   django_capture_on_commit_callbacks):
    sent = [record(day + timedelta(minutes=1), blink_count=12, interval_s=60, screen_time_s=58),
            record(day, blink_count=3, interval_s=30)]
    sensor_id = alice_client.post("/api/v1/blink/sync", {"records": sent}, format="json").json()["sensor_id"]
    response = export_request(alice_client, django_capture_on_commit_callbacks, sensor=sensor_id,
                              start=day.isoformat(), end=(day + timedelta(days=1)).isoformat())
    job = ExportJob.objects.get(pk=response.json()["id"])
    assert (job.kind, job.status, job.rows) == ("blink", "done", 2)
    assert object_rows(s3, job.bucket, job.key) == [
        ["timestamp", "sensor_id", "client_id", "blink_count", "interval_s", "blinks_per_min", "extras"],
        ["2026-11-02T00:00:00.000Z", sensor_id, sent[1]["client_id"], "3", "30.0", "6.0", ""],
        ["2026-11-02T00:01:00.000Z", sensor_id, sent[0]["client_id"], "12", "60.0", "12.0", '{"screen_time_s":58}'],
    ]


def test_metric_export(s3, alice_client, make_sensor, user, django_capture_on_commit_callbacks):
    meter, _ = make_sensor(owner=user, device_type="energy_meter")
    ingest.accept(payload={"sensor_id": meter.pk, "timestamp": START.isoformat(),
                           "metrics": {"voltage": 230.5, "current": 1.25}}, source="test")
    response = export_request(alice_client, django_capture_on_commit_callbacks, sensor=meter.pk,
                              start=START.isoformat(), end=(START + timedelta(minutes=1)).isoformat())
    job = ExportJob.objects.get(pk=response.json()["id"])
    assert job.kind == "metric" and job.status == "done"
    assert object_rows(s3, job.bucket, job.key) == [["timestamp", "name", "value"],
                                                    ["2026-11-20T08:00:00.000Z", "current", "1.25"],
                                                    ["2026-11-20T08:00:00.000Z", "voltage", "230.5"]]


def test_exports_are_private(s3, alice_client, bob_client, imu_sensor, django_capture_on_commit_callbacks):
    window = {"start": START.isoformat(), "end": (START + timedelta(hours=1)).isoformat()}
    refused = export_request(bob_client, django_capture_on_commit_callbacks, sensor=imu_sensor.pk, **window)
    assert refused.status_code == 400 and "sensor" in refused.json()["details"]
    job_id = export_request(alice_client, django_capture_on_commit_callbacks, sensor=imu_sensor.pk, **window).json()["id"]
    assert bob_client.get(f"/api/v1/exports/{job_id}").status_code == 404
    assert bob_client.get("/api/v1/exports").json()["results"] == []
    assert [job["id"] for job in alice_client.get("/api/v1/exports").json()["results"]] == [job_id]


@pytest.mark.parametrize(("body", "field"), [
    ({"start": "2026-11-20T09:00:00Z", "end": "2026-11-20T08:00:00Z"}, "start"),
    ({"start": "2026-11-20T08:00:00", "end": "2026-11-20T09:00:00Z"}, "start"),
    ({"start": "2024-01-01T00:00:00Z", "end": "2026-01-01T00:00:00Z"}, "end"),
    ({"start": "2026-11-20T08:00:00Z", "end": "2026-11-20T09:00:00Z", "kind": "video"}, "kind"),
])
def test_bad_export_requests_name_the_field(s3, alice_client, imu_sensor, body, field):
    response = alice_client.post("/api/v1/exports", {"sensor": imu_sensor.pk, **body}, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()["details"]
    assert not ExportJob.objects.exists()


def test_exports_without_s3_are_refused_clearly(settings, alice_client, imu_sensor):
    settings.S3_BUCKET_DATA = ""
    response = alice_client.post("/api/v1/exports", {"sensor": imu_sensor.pk, "start": START.isoformat(),
                                                     "end": (START + timedelta(hours=1)).isoformat()}, format="json")
    assert response.status_code == 503
    assert "S3_BUCKET_DATA" in response.json()["error"]


def test_a_missing_bucket_fails_the_job_at_once_with_the_reason(s3, settings, alice_client, imu_sensor,
                                                                  django_capture_on_commit_callbacks):
    settings.S3_BUCKET_DATA = "no-such-bucket-here"
    response = export_request(alice_client, django_capture_on_commit_callbacks, sensor=imu_sensor.pk,
                              start=START.isoformat(), end=(START + timedelta(hours=1)).isoformat())
    job = alice_client.get(f"/api/v1/exports/{response.json()['id']}").json()
    assert job["status"] == "failed" and job["attempts"] == 1, job
    assert "NoSuchBucket" in job["error"] and "no-such-bucket-here" in job["error"]
    assert job["download_url"] is None


def test_s3_down_is_retried_with_backoff_then_fails_with_the_reason(s3, settings, alice_client, imu_sensor,
                                                                      django_capture_on_commit_callbacks):
    settings.S3_ENDPOINT_URL = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    settings.S3_MAX_RETRIES = 2
    settings.S3_TIMEOUT_S = 1
    response = export_request(alice_client, django_capture_on_commit_callbacks, sensor=imu_sensor.pk,
                              start=START.isoformat(), end=(START + timedelta(hours=1)).isoformat())
    job = ExportJob.objects.get(pk=response.json()["id"])
    assert (job.status, job.attempts) == ("failed", 3)
    assert job.error.startswith("S3 unreachable after 3 attempts") and "Could not connect" in job.error


def test_presigned_url_names_the_file(s3):
    url = download_url(bucket="b", key="exports/x.csv.gz", filename="imu-1.csv.gz", expires_s=60)
    assert "X-Amz-Expires=60" in url and "imu-1.csv.gz" in urllib.request.unquote(url)


def test_status_reports_storage(s3, settings, db):
    body = Client().get("/status").json()
    assert body["dependencies"]["storage"]["up"] is True
    assert body["dependencies"]["storage"]["buckets"] == {"data": s3.env["S3_BUCKET_DATA"],
                                                                   "logs": s3.env["S3_BUCKET_LOGS"]}
    settings.S3_BUCKET_DATA = settings.S3_BUCKET_LOGS = ""
    storage_state = Client().get("/status").json()["dependencies"]["storage"]
    assert storage_state["up"] is True and storage_state["detail"].startswith("off")
    assert storage_state["required"] is False and storage_state["enabled"] is False
    settings.S3_BUCKET_DATA = s3.env["S3_BUCKET_DATA"]
    settings.S3_ENDPOINT_URL = f"http://127.0.0.1:{free_port()}"
    response = Client().get("/status")
    assert response.json()["dependencies"]["storage"]["up"] is False
    assert "storage" in response.json()["down"]


def test_admin_lists_blink_records_and_export_jobs(s3, client, staff_user, alice_client, imu_sensor, record, day,
                                                   django_capture_on_commit_callbacks):
    alice_client.post("/api/v1/blink/track", record(day), format="json")
    export_request(alice_client, django_capture_on_commit_callbacks, sensor=imu_sensor.pk,
                   start=START.isoformat(), end=(START + timedelta(hours=1)).isoformat())
    client.force_login(staff_user)
    blinks = client.get("/admin/telemetry/blinkrecord/")
    assert blinks.status_code == 200
    assert b"eye-tracker-" in blinks.content
    jobs = client.get("/admin/telemetry/exportjob/")
    assert jobs.status_code == 200 and imu_sensor.pk.encode() in jobs.content and b"Done" in jobs.content
