import asyncio
import json
from datetime import datetime, timedelta, timezone

from asgiref.sync import async_to_sync, sync_to_async
from channels.layers import get_channel_layer

from sensors.models import Sensor
from telemetry.live import sensor_group
from telemetry.models import BlinkRecord


def test_track_registers_the_eye_tracker_on_first_use_and_stores_the_record(alice_client, user, record, day):
    sent = record(day + timedelta(hours=9), blink_count=14, screen_time_s=55, session_id="morning")
    response = alice_client.post("/api/v1/blink/track", sent, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    tracker = Sensor.objects.get(pk=body["sensor_id"])
    assert (tracker.owner, tracker.device_type) == (user, "eye_tracker")
    stored = BlinkRecord.objects.get()
    assert (str(stored.client_id), stored.blink_count, stored.interval_s, stored.user) == (sent["client_id"], 14, 60, user)
    assert stored.timestamp == day + timedelta(hours=9)
    assert stored.extras == {"screen_time_s": 55, "session_id": "morning"}
    assert body["results"] == [{"index": 0, "client_id": sent["client_id"], "outcome": "created"}]
    assert body["cursor"] == "2026-11-02T09:00:00.000Z"

    again = alice_client.post("/api/v1/blink/track", sent, format="json")
    assert again.status_code == 200
    assert again.json()["results"][0]["outcome"] == "duplicate"
    assert again.json()["sensor_id"] == tracker.pk
    assert BlinkRecord.objects.count() == 1 and Sensor.objects.filter(owner=user).count() == 1


def test_track_rejects_a_bad_record_naming_the_field(alice_client, record, day):
    cases = {
        "blink_count": {**record(day), "blink_count": -1},
        "interval_s": {key: value for key, value in record(day).items() if key != "interval_s"},
        "timestamp": {**record(day), "timestamp": "2026-11-02T09:00:00"},
        "client_id": {**record(day), "client_id": "not-a-uuid"},
    }
    for field, sent in cases.items():
        response = alice_client.post("/api/v1/blink/track", sent, format="json")
        assert response.status_code == 422, (field, response.content)
        body = response.json()
        assert field in body["details"], (field, body)
        assert body["error"].startswith(field)
    assert not BlinkRecord.objects.exists()


def test_track_is_broadcast_live_to_viewers_of_the_tracker(alice_client, record, day):
    alice_client.post("/api/v1/blink/track", record(day), format="json")  # registers the tracker
    tracker = Sensor.objects.get(device_type="eye_tracker")
    sent = record(day + timedelta(minutes=1), blink_count=12, interval_s=30)

    async def watch_while_tracking():
        # One event loop for the viewer's channel, as a viewer consumer has.
        layer = get_channel_layer()
        channel = await layer.new_channel()
        await layer.group_add(sensor_group(tracker.pk), channel)
        try:
            response = await sync_to_async(alice_client.post)("/api/v1/blink/track", sent, format="json")
            assert response.status_code == 201
            return await asyncio.wait_for(layer.receive(channel), timeout=10)
        finally:
            await layer.group_discard(sensor_group(tracker.pk), channel)

    message = async_to_sync(watch_while_tracking)()
    [frame] = message["frames"]
    reading = json.loads(frame)
    assert reading["type"] == "reading" and reading["sensor_id"] == tracker.pk
    assert reading["timestamp"] == "2026-11-02T00:01:00.000Z"
    assert reading["blink"]["client_id"] == sent["client_id"]
    assert (reading["blink"]["blink_count"], reading["blink"]["interval_s"]) == (12, 30)


def test_sync_reports_each_record_and_a_retry_stores_nothing_new(alice_client, record, day):
    first = record(day + timedelta(minutes=1))
    already = record(day)
    alice_client.post("/api/v1/blink/track", already, format="json")
    records = [
        first,
        already,                                          # stored by the earlier track
        {**first, "blink_count": 99},                     # same client id again in this batch
        {**record(day), "interval_s": 0},
        {**record(day), "timestamp": (datetime.now(timezone.utc) + timedelta(hours=1)).isoformat()},
        "not an object",
        record(day + timedelta(minutes=2), blink_count=0),
    ]
    response = alice_client.post("/api/v1/blink/sync", {"records": records}, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert [r["outcome"] for r in body["results"]] == [
        "created", "duplicate", "duplicate", "rejected", "rejected", "rejected", "created"]
    assert (body["created"], body["duplicates"], body["rejected"]) == (2, 2, 3)
    assert "interval_s" in body["results"][3]["errors"]
    assert "future" in body["results"][4]["errors"]["timestamp"][0]
    assert "record" in body["results"][5]["errors"]
    assert body["cursor"] == "2026-11-02T00:02:00.000Z"
    assert BlinkRecord.objects.count() == 3
    assert BlinkRecord.objects.get(client_id=first["client_id"]).blink_count == first["blink_count"]

    retry = alice_client.post("/api/v1/blink/sync", {"records": records}, format="json").json()
    assert [r["outcome"] for r in retry["results"]] == [
        "duplicate", "duplicate", "duplicate", "rejected", "rejected", "rejected", "duplicate"]
    assert retry["cursor"] == body["cursor"]
    assert BlinkRecord.objects.count() == 3


def test_sync_accepts_late_and_out_of_order_records(alice_client, record):
    now = datetime.now(timezone.utc).replace(microsecond=0)
    newest = record(now - timedelta(minutes=5))
    records = [newest, record(now - timedelta(days=3)), record(now - timedelta(days=40)), record(now - timedelta(hours=2))]
    body = alice_client.post("/api/v1/blink/sync", {"records": records}, format="json").json()
    assert body["created"] == 4
    assert body["cursor"] == (now - timedelta(minutes=5)).isoformat().replace("+00:00", ".000Z")
    late = record(now - timedelta(days=10))
    body = alice_client.post("/api/v1/blink/sync", {"records": [late]}, format="json").json()
    assert body["created"] == 1 and body["cursor"] == (now - timedelta(minutes=5)).isoformat().replace("+00:00", ".000Z")
    assert BlinkRecord.objects.count() == 5


def test_sync_refuses_more_than_5000_records_and_stores_none(alice_client, record, day):
    records = [record(day + timedelta(seconds=i)) for i in range(5001)]
    response = alice_client.post("/api/v1/blink/sync", {"records": records}, format="json")
    assert response.status_code == 413
    assert "5000" in response.json()["error"]
    assert not BlinkRecord.objects.exists()


def test_sync_of_5000_records_stores_them_all(alice_client, record, day):
    records = [record(day + timedelta(seconds=i)) for i in range(5000)]
    body = alice_client.post("/api/v1/blink/sync", {"records": records}, format="json").json()
    assert body["created"] == 5000 and BlinkRecord.objects.count() == 5000


def test_sync_needs_a_records_array(alice_client):
    response = alice_client.post("/api/v1/blink/sync", {"readings": []}, format="json")
    assert response.status_code == 400
    assert "records" in response.json()["details"]


def test_blink_endpoints_need_a_signed_in_user(api_client, record, day):
    assert api_client.post("/api/v1/blink/track", record(day), format="json").status_code == 401
    assert api_client.post("/api/v1/blink/sync", {"records": []}, format="json").status_code == 401
    assert api_client.get("/api/v1/blink/stats").status_code == 401


def test_another_users_client_ids_neither_collide_nor_leak(alice_client, bob_client, other_user, record, day):
    records = [record(day), record(day + timedelta(minutes=1))]
    alice_client.post("/api/v1/blink/sync", {"records": records}, format="json")
    body = bob_client.post("/api/v1/blink/sync", {"records": records}, format="json").json()
    # Bob's tracker is his own; Alice's records are not "duplicates" for him.
    assert body["created"] == 2
    assert Sensor.objects.get(pk=body["sensor_id"]).owner == other_user
    assert BlinkRecord.objects.filter(user=other_user).count() == 2
