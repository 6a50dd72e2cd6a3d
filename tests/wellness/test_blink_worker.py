import time

import pytest

from telemetry.models import BlinkRecord
from tests.servers import celery_worker


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_synced_blinks_cross_a_real_broker_to_a_real_worker(broker_mode, alice_client, record, day):
    records = [record(day, screen_time_s=50), record(day)]
    with celery_worker():
        body = alice_client.post("/api/v1/blink/sync", {"records": records}, format="json").json()
        assert body["created"] == 2
        deadline = time.monotonic() + 30
        while BlinkRecord.objects.count() < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
    stored = BlinkRecord.objects.get(client_id=records[0]["client_id"])
    assert stored.extras == {"screen_time_s": 50} and stored.timestamp == day
