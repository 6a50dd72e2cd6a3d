"""The Django layer: registry and ingest adapters, /metrics export, and `manage.py ble_listen`."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import datetime, timezone
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from transports.ble import gateway
from transports.ble.pipeline import Target
from transports.ble.status import gateway_counters_publish, gateway_counters_recent
from sensors.models import Sensor
from telemetry.models import ImuReading, MetricReading
from tests.servers import ROOT, server_env

NOW_ISO = datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def test_registry_lists_active_sensors_with_a_ble_profile_and_address(make_sensor, user):
    listened, _ = make_sensor(owner=user, ble_profile="thingy52", mac_address="aa:bb:cc:dd:ee:01")
    erroring, _ = make_sensor(owner=user, ble_profile="sig_energy", mac_address="AA:BB:CC:DD:EE:02", status="error")
    make_sensor(owner=user, ble_profile="thingy52", mac_address="AA:BB:CC:DD:EE:03", status="inactive")
    make_sensor(owner=user, ble_profile="", mac_address="AA:BB:CC:DD:EE:04")
    make_sensor(owner=user, ble_profile="sensorium_diy", mac_address=None)
    assert gateway.registry_targets() == [
        Target(sensor_id=listened.pk, address="AA:BB:CC:DD:EE:01", profile="thingy52"),
        Target(sensor_id=erroring.pk, address="AA:BB:CC:DD:EE:02", profile="sig_energy"),
    ]


def test_ingest_adapter_stores_readings_and_counts_rejections(make_sensor, user):
    sensor, _ = make_sensor(owner=user, ble_profile="sensorium_diy")
    good = {"sensor_id": sensor.pk, "timestamp": NOW_ISO, "acceleration": {"x": 0, "y": 0, "z": 9.81},
            "gyroscope": {"x": 0, "y": 0, "z": 0}, "battery_level": 80, "signal_strength": -70}
    unknown = {**good, "sensor_id": "deleted-sensor"}
    assert gateway.readings_hand_over([good, unknown], registers=gateway.energy_registers()) == 1
    assert ImuReading.objects.filter(sensor_id=sensor.pk).count() == 1
    sensor.refresh_from_db()
    assert (sensor.battery_level, sensor.signal_strength) == (80, -70)


def test_an_energy_meters_battery_and_signal_land_on_its_sensor(make_sensor, user):
    meter, _ = make_sensor(owner=user, device_type="energy_meter", ble_profile="sig_energy")
    older = {"sensor_id": meter.pk, "timestamp": NOW_ISO, "metrics": {"voltage": 230.0},
             "battery_level": 90, "signal_strength": -80}
    newer = {**older, "metrics": {"current": 1.5}, "battery_level": 89, "signal_strength": -65}
    refused = {**newer, "metrics": {"power": float("nan")}, "battery_level": 1, "signal_strength": -120}
    assert gateway.readings_hand_over([older, newer, refused], registers=gateway.energy_registers()) == 1
    meter.refresh_from_db()
    assert (meter.battery_level, meter.signal_strength) == (89, -65)
    assert MetricReading.objects.filter(sensor_id=meter.pk).count() == 2


def test_listener_settings_come_from_django_settings(settings):
    settings.BLUETOOTH_SCAN_TIMEOUT = 4.5
    settings.BLUETOOTH_RECONNECT_ATTEMPTS = 7
    settings.BLUETOOTH_MAX_CONNECTIONS = 2
    configured = gateway.listener_settings(max_connections=None, log_interval=5.0)
    assert (configured.scan_timeout, configured.reconnect_attempts, configured.max_connections) == (4.5, 7, 2)
    assert configured.log_interval == 5.0
    assert gateway.listener_settings(max_connections=9).max_connections == 9


def test_gateway_counters_appear_in_metrics(db):
    gateway_counters_publish(gateway="gw-hall", counters={"connected": 3, "decoded": 1200, "dropped": 4,
                                                          "gaps": 3, "gaps_by_sensor": {"imu-001": 2, "imu-002": 1}})
    body = Client().get("/metrics").content.decode()
    assert 'sensorium_ble_gaps_total{gateway="gw-hall"} 3.0' in body
    assert 'sensorium_ble_sensor_gaps_total{gateway="gw-hall",sensor="imu-001"} 2.0' in body
    assert 'sensorium_ble_connected{gateway="gw-hall"} 3.0' in body
    assert 'sensorium_ble_decoded_total{gateway="gw-hall"} 1200.0' in body
    assert 'sensorium_ble_dropped_total{gateway="gw-hall"} 4.0' in body


@pytest.mark.django_db(transaction=True)
def test_ble_listen_with_simulated_devices_stores_readings_and_reports(user, tmp_path):
    out = StringIO()
    recording = tmp_path / "packets.jsonl"
    call_command("ble_listen", fake=5, owner=user.username, duration=2.0, gateway_name="test-gw",
                 record=str(recording), stdout=out)
    simulated = Sensor.objects.filter(pk__startswith="ble-sim-").order_by("pk")
    assert [s.ble_profile for s in simulated] == ["thingy52", "witmotion_bwt901", "movesense_imu6", "sensorium_diy", "sig_energy"]
    for sensor in simulated[:4]:
        assert ImuReading.objects.filter(sensor_id=sensor.pk).exists(), sensor.pk
        assert sensor.battery_level == 87 and sensor.signal_strength is not None and sensor.last_seen is not None
    assert set(MetricReading.objects.filter(sensor_id="ble-sim-005").values_list("name", flat=True)) >= {"voltage", "current", "power"}
    energy_meter = simulated[4]
    assert energy_meter.battery_level == 87 and -100 < energy_meter.signal_strength < -30
    assert "Stopped:" in out.getvalue()
    assert gateway_counters_recent()["test-gw"]["decoded"] > 0

    # Replaying the recording produces the very same readings, so nothing new is stored.
    stored = ImuReading.objects.count(), MetricReading.objects.count()
    out = StringIO()
    call_command("ble_listen", replay=str(recording), stdout=out)
    assert "0 rejected, 0 undecodable" in out.getvalue()
    assert (ImuReading.objects.count(), MetricReading.objects.count()) == stored


def test_fake_mode_needs_an_existing_owner(db):
    with pytest.raises(CommandError, match="'nobody', who does not exist"):
        call_command("ble_listen", fake=1, owner="nobody", duration=0.1)


def test_replay_cannot_be_combined_with_live_options(db):
    with pytest.raises(CommandError, match="--replay cannot be combined"):
        call_command("ble_listen", replay="x.jsonl", fake=2)


def test_replay_of_a_missing_file_is_a_clear_error(db):
    with pytest.raises(CommandError, match="Cannot replay /no/such/file.jsonl"):
        call_command("ble_listen", replay="/no/such/file.jsonl")


def _manage(*arguments: str) -> subprocess.Popen:
    # Eager writes: these tests are about the gateway process, not about a broker and its workers.
    env = server_env(CELERY_TASK_ALWAYS_EAGER="1")
    return subprocess.Popen([sys.executable, "manage.py", "ble_listen", *arguments], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@pytest.mark.skipif(os.path.exists("/run/dbus/system_bus_socket"), reason="this machine has a D-Bus system bus; the check needs one without")
def test_without_bluetooth_the_command_prints_one_line_and_exits_2(db):
    process = _manage("--duration", "5")
    stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == 2
    assert stderr.strip().splitlines() == [
        "CommandError: Bluetooth is not available: cannot reach the D-Bus system bus (no BlueZ here?). "
        "Use --fake N or --replay FILE to run without a radio."
    ]


@pytest.mark.django_db(transaction=True)
def test_sigterm_stops_the_gateway_cleanly(user):
    process = _manage("--fake", "2", "--owner", user.username, "--duration", "60")
    try:
        deadline = time.monotonic() + 30
        while not ImuReading.objects.filter(sensor_id__in=["ble-sim-001", "ble-sim-002"]).exists():
            assert process.poll() is None, process.communicate()
            assert time.monotonic() < deadline, "no readings from the simulated devices"
            time.sleep(0.2)
        process.send_signal(signal.SIGTERM)
        stdout, stderr = process.communicate(timeout=20)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, stderr
    assert "BLE listener stopped" in stdout  # logs go to stdout as JSON lines
    assert "Stopped:" in stdout
