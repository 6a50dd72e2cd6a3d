import uuid
from datetime import datetime, timezone

import pytest


def blink_record(moment: datetime, *, blink_count: int = 15, interval_s: float = 60, **extras) -> dict:
    return {"client_id": str(uuid.uuid4()), "timestamp": moment.isoformat().replace("+00:00", "Z"),
            "blink_count": blink_count, "interval_s": interval_s, **extras}


@pytest.fixture
def record():
    return blink_record


@pytest.fixture
def day():
    """A fixed past day: blink timestamps need not be recent."""
    return datetime(2026, 11, 2, tzinfo=timezone.utc)


@pytest.fixture(scope="session")
def s3_server():
    from tests.servers import moto_s3_server

    with moto_s3_server() as server:
        yield server


S3_CREDENTIALS = {"S3_REGION": "us-east-1", "S3_ACCESS_KEY_ID": "testing", "S3_SECRET_ACCESS_KEY": "testing"}


@pytest.fixture
def s3(s3_server, settings):
    """Settings pointing at the moto server with fresh data and log buckets; yields a boto3 client."""
    import boto3

    suffix = uuid.uuid4().hex[:12]
    values = {"S3_ENDPOINT_URL": s3_server.url, "S3_BUCKET_DATA": f"data-{suffix}", "S3_BUCKET_LOGS": f"logs-{suffix}",
              **S3_CREDENTIALS}
    for name, value in values.items():
        setattr(settings, name, value)
    settings.S3_RETRY_BACKOFF_S = 0.01
    client = boto3.client("s3", endpoint_url=s3_server.url, region_name="us-east-1",
                          aws_access_key_id="testing", aws_secret_access_key="testing")
    client.create_bucket(Bucket=values["S3_BUCKET_DATA"])
    client.create_bucket(Bucket=values["S3_BUCKET_LOGS"])
    client.env = values
    return client
