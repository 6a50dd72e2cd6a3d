"""The daily blink archive: one gzip CSV per user and day in S3_BUCKET_DATA, against moto."""

import csv
import gzip
import io
from datetime import datetime, timedelta, timezone

from workers.tasks.storage import blinks_export_daily
from tests.servers import free_port


def test_yesterdays_blinks_are_archived_per_user_and_a_rerun_overwrites(
        s3, alice_client, bob_client, user, other_user, record):
    today = datetime.now(timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)
    yesterday = today - timedelta(days=1)
    alice_records = [record(yesterday + timedelta(hours=23, minutes=59), blink_count=8, session_id="late"),
                     record(yesterday, blink_count=15, interval_s=60)]
    alice_client.post("/api/v1/blink/sync", {"records": [*alice_records, record(today)]}, format="json")
    bob_client.post("/api/v1/blink/sync", {"records": [record(yesterday + timedelta(hours=12), blink_count=4)]},
                    format="json")

    assert blinks_export_daily.delay().get() == {"day": yesterday.date().isoformat(), "users": 2}
    bucket = s3.env["S3_BUCKET_DATA"]
    prefix = f"blinks/daily/{yesterday:%Y/%m/%d}/"
    keys = sorted(item["Key"] for item in s3.list_objects_v2(Bucket=bucket)["Contents"])
    assert keys == [f"{prefix}user-{user.pk}.csv.gz", f"{prefix}user-{other_user.pk}.csv.gz"]

    alice_object = s3.get_object(Bucket=bucket, Key=f"{prefix}user-{user.pk}.csv.gz")["Body"].read()
    rows = list(csv.reader(io.StringIO(gzip.decompress(alice_object).decode())))
    assert rows[0] == ["timestamp", "sensor_id", "client_id", "blink_count", "interval_s", "blinks_per_min", "extras"]
    assert [(row[2], row[3], row[6]) for row in rows[1:]] == [
        (alice_records[1]["client_id"], "15", ""), (alice_records[0]["client_id"], "8", '{"session_id":"late"}')]

    blinks_export_daily.delay(yesterday.date().isoformat()).get()
    assert len(s3.list_objects_v2(Bucket=bucket)["Contents"]) == 2
    again = s3.get_object(Bucket=bucket, Key=f"{prefix}user-{user.pk}.csv.gz")["Body"].read()
    assert again == alice_object


def test_daily_export_is_skipped_without_s3(settings, db):
    settings.S3_BUCKET_DATA = ""
    assert blinks_export_daily.delay().get() == {"skipped": "S3_BUCKET_DATA is not set"}


def test_daily_export_gives_up_after_retries_when_s3_is_down(s3, settings, alice_client, user, record, day, caplog):
    alice_client.post("/api/v1/blink/sync", {"records": [record(day)]}, format="json")
    settings.S3_ENDPOINT_URL = f"http://127.0.0.1:{free_port()}"
    settings.S3_MAX_RETRIES = 1
    result = blinks_export_daily.delay(day.date().isoformat())
    assert result.get() == {"day": "2026-11-02", "users": 1}
    assert "S3 unreachable after 2 attempts" in caplog.text
