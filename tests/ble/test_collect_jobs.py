"""Collect on demand: the API, the job lifecycle on the fake radio, permissions and validation."""

from __future__ import annotations

import time

import pytest
from django.core.cache import cache

from transports.ble import collect, gateway
from sensors.models import CollectJob
from telemetry.models import ImuReading, MetricReading
from tests.servers import celery_worker

SIMULATED_MAC = "02:5E:00:00:00:21"
ABSENT_MAC = "AA:BB:CC:00:00:21"


@pytest.fixture(autouse=True)
def fake_radio(settings):
    settings.BLUETOOTH_BACKEND = "fake"
    settings.BLUETOOTH_SCAN_TIMEOUT = 1.0


@pytest.fixture
def ble_sensor(make_sensor, user):
    sensor, _ = make_sensor(owner=user, id="imu-collect", ble_profile="sensorium_diy", mac_address=SIMULATED_MAC)
    return sensor


def job_finished(client, url: str, *, within: float = 30.0) -> dict:
    """Poll the job until it succeeded or failed."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        body = client.get(url).json()
        if body["status"] in ("succeeded", "failed"):
            return body
        time.sleep(0.1)
    pytest.fail(f"job {url} still {body['status']} after {within} s")


# ---------------------------------------------------------------- lifecycle


@pytest.mark.django_db(transaction=True)
def test_collect_returns_a_job_at_once_that_succeeds_with_counts(alice_client, ble_sensor):
    response = alice_client.post(f"/api/v1/sensors/{ble_sensor.pk}/collect", {"seconds": 1}, format="json")
    assert response.status_code == 202
    queued = response.json()
    assert queued["status"] == "queued" and queued["sensor"] == ble_sensor.pk and queued["seconds"] == 1
    assert response["Location"] == queued["url"] == f"/api/v1/jobs/{queued['id']}"

    done = job_finished(alice_client, queued["url"])
    assert done["status"] == "succeeded", done["error"]
    assert done["error"] == "" and done["rejected"] == 0
    assert done["packets"] >= done["readings"] > 5  # one second of a 20 Hz device (plus its battery read)
    assert ImuReading.objects.filter(sensor_id=ble_sensor.pk).count() == done["readings"]
    assert done["started_at"] <= done["finished_at"]
    ble_sensor.refresh_from_db()
    assert ble_sensor.battery_level == 87 and ble_sensor.last_seen is not None


@pytest.mark.django_db(transaction=True)
def test_the_job_is_running_while_it_collects(user, ble_sensor, monkeypatch):
    job = CollectJob.objects.create(sensor=ble_sensor, owner=user, seconds=0)
    seen_while_ingesting = []
    hand_over = gateway.ingest

    async def ingest_and_look(readings, **options):
        seen_while_ingesting.append(await CollectJob.objects.values_list("status", flat=True).aget(pk=job.pk))
        return await hand_over(readings, **options)

    monkeypatch.setattr(gateway, "ingest", ingest_and_look)
    summary = collect.collect_job_execute(job_id=str(job.pk))
    assert seen_while_ingesting and set(seen_while_ingesting) == {"running"}
    job.refresh_from_db()
    assert (job.status, job.readings, summary["readings"]) == ("succeeded", 1, 1)  # a snapshot: the first sample
    assert collect.collect_job_execute(job_id=str(job.pk))["readings"] == 1  # a redelivered task changes nothing
    assert ImuReading.objects.filter(sensor_id=ble_sensor.pk).count() == 1


@pytest.mark.django_db(transaction=True)
def test_the_seed_route_takes_a_snapshot_of_an_energy_meter(alice_client, make_sensor, user):
    meter, _ = make_sensor(owner=user, id="meter-1", device_type="energy_meter", ble_profile="sig_energy",
                           mac_address="02:5E:00:00:00:22")
    response = alice_client.post("/api/v1/collect-data/", {"device_id": meter.pk}, format="json")
    assert response.status_code == 202 and response.json()["seconds"] == 0
    done = job_finished(alice_client, response["Location"])
    assert done["status"] == "succeeded", done["error"]
    assert MetricReading.objects.filter(sensor_id=meter.pk).exists()


@pytest.mark.django_db(transaction=True)
def test_a_device_that_cannot_be_found_fails_the_job_with_the_reason(alice_client, make_sensor, user):
    sensor, _ = make_sensor(owner=user, id="imu-away", ble_profile="thingy52", mac_address=ABSENT_MAC)
    response = alice_client.post(f"/api/v1/sensors/{sensor.pk}/collect", {"seconds": 5}, format="json")
    done = job_finished(alice_client, response["Location"])
    assert done["status"] == "failed"
    assert done["error"] == (f"Sensor imu-away ({ABSENT_MAC}) was not seen advertising within 1 s: "
                             "is it switched on, in range and not connected elsewhere?")
    assert (done["packets"], done["readings"]) == (0, 0)


@pytest.mark.django_db(transaction=True)
def test_a_device_held_by_the_gateway_fails_the_job_as_busy(alice_client, ble_sensor):
    cache.set(f"ble:lease:{SIMULATED_MAC}", "gateway:hall", 60)
    response = alice_client.post(f"/api/v1/sensors/{ble_sensor.pk}/collect", {}, format="json")
    done = job_finished(alice_client, response["Location"])
    assert done["status"] == "failed"
    assert done["error"] == f"The device is busy: {SIMULATED_MAC} is held by another gateway or collect job (gateway:hall)."
    assert cache.get(f"ble:lease:{SIMULATED_MAC}") == "gateway:hall"


@pytest.mark.django_db(transaction=True)
def test_the_lease_is_free_again_after_a_job(alice_client, ble_sensor):
    path = f"/api/v1/sensors/{ble_sensor.pk}/collect"
    first = job_finished(alice_client, alice_client.post(path, {"seconds": None}, format="json")["Location"])
    second = job_finished(alice_client, alice_client.generic("POST", path)["Location"])  # no body at all
    assert (first["status"], second["status"]) == ("succeeded", "succeeded")
    assert cache.get(f"ble:lease:{SIMULATED_MAC}") is None


@pytest.mark.django_db(transaction=True)
def test_a_job_that_hangs_is_stopped_and_fails_saying_so(user, ble_sensor, monkeypatch):
    simulated_radio = gateway.simulated_radio

    def radio_of_silent_devices(*, targets):
        radio = simulated_radio(targets=targets)
        for device in radio.devices:
            device.go_silent()  # connected, never notifies: only the stall timeout (30 s) would end it
        return radio

    monkeypatch.setattr(gateway, "simulated_radio", radio_of_silent_devices)
    monkeypatch.setattr(collect, "COLLECT_GRACE_S", 0.5)
    job = CollectJob.objects.create(sensor=ble_sensor, owner=user, seconds=0)
    collect.collect_job_execute(job_id=str(job.pk))
    job.refresh_from_db()
    assert (job.status, job.error) == ("failed", "The collection did not finish within 1.5 s and was stopped.")
    assert job.packets == 1  # the battery read on connect
    assert cache.get(f"ble:lease:{SIMULATED_MAC}") is None


@pytest.mark.django_db(transaction=True)
def test_with_the_broker_down_the_request_is_a_503_and_the_job_failed(alice_client, ble_sensor, monkeypatch):
    from kombu.exceptions import OperationalError

    from project.celery import app as celery_app
    from workers.tasks import collect_job_run

    def broker_down(*args, **kwargs):
        raise OperationalError("[Errno 111] Connection refused")

    monkeypatch.setitem(celery_app.conf, "task_always_eager", False)
    monkeypatch.setattr(collect_job_run, "delay", broker_down)
    response = alice_client.post(f"/api/v1/sensors/{ble_sensor.pk}/collect", {"seconds": 2}, format="json")
    assert response.status_code == 503
    assert response.json() == {"error": "The message broker is unavailable; retry later.", "details": {}}
    job = CollectJob.objects.get()
    assert (job.status, job.error) == ("failed", "The job could not be queued: the message broker is unavailable.")


# ---------------------------------------------------------------- permissions


def test_another_users_sensor_and_job_are_not_found(bob_client, alice_client, ble_sensor, user):
    assert bob_client.post(f"/api/v1/sensors/{ble_sensor.pk}/collect", {}, format="json").status_code == 404
    response = bob_client.post("/api/v1/collect-data/", {"device_id": ble_sensor.pk}, format="json")
    assert response.status_code == 400 and response.json()["details"] == {"device_id": ["No sensor with this id."]}
    job = CollectJob.objects.create(sensor=ble_sensor, owner=user)
    assert bob_client.get(f"/api/v1/jobs/{job.pk}").status_code == 404
    assert alice_client.get(f"/api/v1/jobs/{job.pk}").json()["status"] == "queued"
    assert not CollectJob.objects.exclude(pk=job.pk).exists()


def test_staff_see_every_job_and_may_collect_any_sensor(client_for, staff_user, ble_sensor, user,
                                                        django_capture_on_commit_callbacks):
    staff = client_for(staff_user)
    job = CollectJob.objects.create(sensor=ble_sensor, owner=user)
    assert staff.get(f"/api/v1/jobs/{job.pk}/").json()["id"] == str(job.pk)
    with django_capture_on_commit_callbacks() as enqueued:
        response = staff.post(f"/api/v1/sensors/{ble_sensor.pk}/collect", {"seconds": 3}, format="json")
    assert response.status_code == 202 and len(enqueued) == 1
    assert CollectJob.objects.get(pk=response.json()["id"]).owner == staff_user


def test_anonymous_requests_are_refused(api_client, ble_sensor, user):
    job = CollectJob.objects.create(sensor=ble_sensor, owner=user)
    assert api_client.post(f"/api/v1/sensors/{ble_sensor.pk}/collect", {}).status_code == 401
    assert api_client.post("/api/v1/collect-data/", {"device_id": ble_sensor.pk}).status_code == 401
    assert api_client.get(f"/api/v1/jobs/{job.pk}").status_code == 401


def test_an_unknown_job_id_is_a_json_404(alice_client):
    for path in ("/api/v1/jobs/8d1c6f0e-3b0a-4c57-9a53-2f0c1e7b9a10", "/api/v1/jobs/not-a-uuid"):
        response = alice_client.get(path)
        assert response.status_code == 404 and response.json()["error"] == "Not found."


# ---------------------------------------------------------------- validation


@pytest.mark.parametrize("seconds, message", [
    (-1, "Ensure this value is greater than or equal to 0."),
    (301, "Ensure this value is less than or equal to 300."),
    ("soon", "A valid integer is required."),
    (2.5, "A valid integer is required."),
])
def test_seconds_must_be_a_bounded_whole_number(alice_client, ble_sensor, seconds, message, settings):
    settings.BLUETOOTH_COLLECT_MAX_SECONDS = 300
    for path, body in ((f"/api/v1/sensors/{ble_sensor.pk}/collect", {"seconds": seconds}),
                       ("/api/v1/collect-data/", {"device_id": ble_sensor.pk, "seconds": seconds})):
        response = alice_client.post(path, body, format="json")
        assert response.status_code == 400
        assert response.json() == {"error": f"seconds: {message}", "details": {"seconds": [message]}}
    assert not CollectJob.objects.exists()


def test_only_an_active_ble_sensor_can_be_collected(alice_client, make_sensor, user):
    plain, _ = make_sensor(owner=user, id="plain-1", ble_profile="")
    asleep, _ = make_sensor(owner=user, id="asleep-1", ble_profile="thingy52", status="inactive")
    response = alice_client.post(f"/api/v1/sensors/{plain.pk}/collect", {}, format="json")
    assert response.status_code == 400
    assert response.json()["details"] == {"sensor": ["Sensor plain-1 is not a BLE device: give it a MAC address and a BLE profile."]}
    response = alice_client.post("/api/v1/collect-data/", {"device_id": asleep.pk, "seconds": 5}, format="json")
    assert response.status_code == 400
    assert response.json()["details"] == {"device_id": ["Sensor asleep-1 is inactive; activate it to collect its readings."]}
    assert not CollectJob.objects.exists()


def test_the_seed_route_needs_a_device_id(alice_client):
    response = alice_client.post("/api/v1/collect-data/", {"seconds": 5}, format="json")
    assert response.status_code == 400 and response.json()["details"] == {"device_id": ["This field is required."]}


# ---------------------------------------------------------------- a real worker and broker


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_a_worker_on_the_ble_queue_runs_the_job_through_the_broker(broker_mode, alice_client, ble_sensor, settings):
    queues = ",".join(sorted({"celery", *(route["queue"] for route in settings.CELERY_TASK_ROUTES.values())}))
    with celery_worker(queues=queues, BLUETOOTH_BACKEND="fake") as worker:
        response = alice_client.post(f"/api/v1/sensors/{ble_sensor.pk}/collect", {"seconds": 1}, format="json")
        assert response.status_code == 202
        done = job_finished(alice_client, response["Location"], within=60)
        assert done["status"] == "succeeded", worker.output()[-3000:]
        deadline = time.monotonic() + 30  # the readings' own write task follows on the default queue
        while ImuReading.objects.filter(sensor_id=ble_sensor.pk).count() < done["readings"] and time.monotonic() < deadline:
            time.sleep(0.2)
    assert ImuReading.objects.filter(sensor_id=ble_sensor.pk).count() == done["readings"] > 5
    assert "workers.tasks.ble.collect_job_run" in worker.output()


def test_operators_see_collect_jobs_in_the_admin(client, staff_user, ble_sensor, user):
    job = CollectJob.objects.create(sensor=ble_sensor, owner=user, status="failed", error="Sensor imu-collect was not seen")
    client.force_login(staff_user)
    page = client.get("/admin/sensors/collectjob/")
    assert page.status_code == 200 and str(job.pk) in page.content.decode()
    assert client.get(f"/admin/sensors/collectjob/{job.pk}/change/").status_code == 200
