import threading
from datetime import datetime, timedelta
from typing import Any

from celery import current_app
from django.db import connections, transaction
from django.db.models import F, Q
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerError

from sensors.credentials import credentials_changed
from sensors.models import (
    BleProfile,
    CollectJob,
    CollectJobStatus,
    Command,
    CommandStatus,
    DeviceType,
    Sensor,
    SensorStatus,
)
from sensors.realtime import device_channel_send, fleet_status_publish
from sensors.signals import device_credentials_announce
from sensors.tokens import device_token_generate, device_token_hash
from users.models import User

EDITABLE_FIELDS = ("name", "device_type", "mac_address", "ble_profile", "status")


@transaction.atomic
def sensor_create(*, owner: User, id: str, name: str, device_type: str = DeviceType.IMU, mac_address: str | None = None,
                  ble_profile: str = "", status: str = SensorStatus.ACTIVE) -> tuple[Sensor, str]:
    """Register a sensor and return it with its device token (the only time it is visible)."""
    token = device_token_generate()
    sensor = Sensor(id=id, name=name, device_type=device_type, mac_address=mac_address,
                    ble_profile=ble_profile, status=status, owner=owner,
                    token_hash=device_token_hash(token), token_rotated_at=timezone.now())
    sensor.full_clean()
    sensor.save(force_insert=True)
    device_credentials_announce(sensor_id=sensor.pk, token=token, active=status != SensorStatus.INACTIVE)
    return sensor, token


@transaction.atomic
def sensor_update(*, sensor: Sensor, **fields) -> Sensor:
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValueError(f"Not editable: {sorted(unknown)}")
    for name, value in fields.items():
        setattr(sensor, name, value)
    sensor.full_clean(validate_unique=True)
    sensor.save(update_fields=[*fields, "updated_at"])
    # Its status or type may change what the token may do; an inactive sensor's socket is closed.
    credentials_changed(token_hashes=[sensor.token_hash],
                        revoked_channels=[sensor.connection_channel] if sensor.status == SensorStatus.INACTIVE else [])
    if "status" in fields:
        device_credentials_announce(sensor_id=sensor.pk, active=sensor.status != SensorStatus.INACTIVE)
        transaction.on_commit(lambda: fleet_status_publish(sensor=sensor))
    return sensor


@transaction.atomic
def sensor_token_rotate(*, sensor: Sensor) -> str:
    credentials_changed(token_hashes=[sensor.token_hash], revoked_channels=[sensor.connection_channel])
    token = device_token_generate()
    sensor.token_hash = device_token_hash(token)
    sensor.token_rotated_at = timezone.now()
    sensor.save(update_fields=["token_hash", "token_rotated_at", "updated_at"])
    device_credentials_announce(sensor_id=sensor.pk, token=token, active=sensor.status != SensorStatus.INACTIVE)
    return token


@transaction.atomic
def sensor_status_set(*, sensors, status: str) -> int:
    rows = list(sensors.values_list("pk", "token_hash", "connection_channel"))
    ids = [pk for pk, _, _ in rows]
    count = Sensor.objects.filter(pk__in=ids).update(status=status, updated_at=timezone.now())
    credentials_changed(token_hashes=[token_hash for _, token_hash, _ in rows],
                        revoked_channels=[channel for _, _, channel in rows] if status == SensorStatus.INACTIVE else [])
    for sensor_id in ids:
        device_credentials_announce(sensor_id=sensor_id, active=status != SensorStatus.INACTIVE)

    def publish():
        for sensor in Sensor.objects.filter(pk__in=ids):
            fleet_status_publish(sensor=sensor)

    transaction.on_commit(publish)
    return count


@transaction.atomic
def sensor_delete(*, sensor: Sensor) -> None:
    credentials_changed(token_hashes=[sensor.token_hash], revoked_channels=[sensor.connection_channel])
    sensor.delete()


def sensor_state_advance(*, sensor_id: str, last_seen: datetime, battery_level: int | None = None,
                         signal_strength: int | None = None) -> None:
    """The one writer of a sensor's state from its readings (the cold path calls it once per
    sensor per batch, whatever the reading kind or transport): last_seen, battery and signal
    move forward, never back to an older batch's."""
    changes: dict[str, Any] = {"last_seen": last_seen}
    if battery_level is not None:
        changes["battery_level"] = battery_level
    if signal_strength is not None:
        changes["signal_strength"] = signal_strength
    Sensor.objects.filter(pk=sensor_id).filter(Q(last_seen__isnull=True) | Q(last_seen__lte=last_seen)).update(**changes)


SIMULATED_BLE_PREFIX = "ble-sim-"
# Locally administered addresses of simulated devices; with BLUETOOTH_BACKEND=fake they are the
# only devices the simulated radio has.
SIMULATED_BLE_MAC_PREFIX = "02:5E:00:00:"


@transaction.atomic
def ble_simulated_sensors_ensure(*, owner: User, profiles: list[str]) -> list[Sensor]:
    """Register one sensor per simulated BLE device (`ble_listen --fake N`), idempotently.

    Device i gets MAC 02:5E:00:00:xx:xx (a locally administered address) and profiles[i];
    a sensor already registered with that MAC is reused as it is.
    """
    sensors = []
    for index, profile in enumerate(profiles):
        mac = f"{SIMULATED_BLE_MAC_PREFIX}{index // 256:02X}:{index % 256:02X}"
        sensor = Sensor.objects.filter(mac_address=mac).first()
        if sensor is None:
            device_type = DeviceType.ENERGY_METER if profile == BleProfile.SIG_ENERGY else DeviceType.IMU
            sensor, _token = sensor_create(owner=owner, id=f"{SIMULATED_BLE_PREFIX}{index + 1:03d}",
                                           name=f"Simulated {BleProfile(profile).label} {index + 1}",
                                           device_type=device_type, mac_address=mac, ble_profile=profile)
        sensors.append(sensor)
    return sensors


class SensorNotCollectable(Exception):
    """The sensor cannot be read over BLE; the message says why, for a person."""


def sensor_collect_refusal(*, sensor: Sensor) -> str | None:
    """Why a collect job for this sensor cannot run, or None when it can."""
    if not sensor.mac_address or not sensor.ble_profile:
        return f"Sensor {sensor.pk} is not a BLE device: give it a MAC address and a BLE profile."
    if sensor.status == SensorStatus.INACTIVE:
        return f"Sensor {sensor.pk} is inactive; activate it to collect its readings."
    return None


@transaction.atomic
def collect_job_request(*, sensor: Sensor, owner: User, seconds: int) -> CollectJob:
    """Queue a collect job (0 seconds: one snapshot); a worker on the `ble` queue runs it once committed.

    Raises SensorNotCollectable, or CollectQueueUnavailable when the broker is down.
    """
    refusal = sensor_collect_refusal(sensor=sensor)
    if refusal:
        raise SensorNotCollectable(refusal)
    job = CollectJob.objects.create(sensor=sensor, owner=owner, seconds=seconds)
    job_id = str(job.pk)
    transaction.on_commit(lambda: _collect_job_enqueue(job_id=job_id))
    return job


class CollectQueueUnavailable(Exception):
    """The broker refused a collect job; the job is recorded as failed."""


COLLECT_TASK = "workers.tasks.ble.collect_job_run"  # looked up by name: tasks sit above this layer


def _collect_job_enqueue(*, job_id: str) -> None:
    if current_app.conf.task_always_eager:
        # Embedded mode has no worker, and running the job inline would hold the request for
        # the whole collection: run it beside the request instead.
        threading.Thread(target=_collect_job_run_beside, args=(job_id,), name=f"collect-{job_id}", daemon=True).start()
        return
    try:
        current_app.tasks[COLLECT_TASK].delay(job_id)
    except (BrokerError, OSError) as error:
        CollectJob.objects.filter(pk=job_id).update(
            status=CollectJobStatus.FAILED, finished_at=timezone.now(),
            error="The job could not be queued: the message broker is unavailable.")
        raise CollectQueueUnavailable("The message broker is unavailable; retry later.") from error


def _collect_job_run_beside(job_id: str) -> None:
    try:
        current_app.tasks[COLLECT_TASK].apply(args=[job_id])
    finally:
        connections.close_all()


def collect_job_start(*, job: CollectJob) -> bool:
    """Mark a job running; False when it already finished (a redelivered task does nothing then).

    A job left running by a killed worker runs again: its readings are stored once anyway.
    """
    now = timezone.now()
    started = CollectJob.objects.filter(
        pk=job.pk, status__in=[CollectJobStatus.QUEUED, CollectJobStatus.RUNNING]
    ).update(status=CollectJobStatus.RUNNING, started_at=now)
    if started:
        job.status, job.started_at = CollectJobStatus.RUNNING, now
    return bool(started)


def collect_job_finish(*, job: CollectJob, packets: int = 0, readings: int = 0, rejected: int = 0,
                       error: str = "") -> CollectJob:
    """Record the outcome: succeeded with its counts, or failed with the reason (counts kept)."""
    job.status = CollectJobStatus.FAILED if error else CollectJobStatus.SUCCEEDED
    job.packets, job.readings, job.rejected, job.error = packets, readings, rejected, error
    job.finished_at = timezone.now()
    job.save(update_fields=["status", "packets", "readings", "rejected", "error", "finished_at"])
    return job


# --- Commands to devices ----------------------------------------------------------------

def _command_deliver_after_commit(command: Command) -> None:
    def deliver():
        channel = (Sensor.objects.filter(pk=command.sensor_id, online=True)
                   .values_list("connection_channel", flat=True).first())
        if channel:
            device_channel_send(channel=channel, message={"type": "device.command", "id": str(command.pk)})

    transaction.on_commit(deliver)


@transaction.atomic
def command_create(*, sensor: Sensor, name: str, params: dict, ttl_seconds: int,
                   created_by: User | None) -> Command:
    """Queue a command; if the device is connected (on any server process) it gets it now."""
    now = timezone.now()
    command = Command.objects.create(sensor=sensor, name=name, params=params, ttl_seconds=ttl_seconds,
                                     created_by=created_by, expires_at=now + timedelta(seconds=ttl_seconds))
    _command_deliver_after_commit(command)
    return command


def command_claim_for_delivery(*, command_id, sensor_id: str) -> Command | None:
    """Queued → sent, exactly once, for the socket about to write it; None if it is not
    (or no longer) deliverable: already sent, expired, or another sensor's."""
    now = timezone.now()
    claimed = Command.objects.filter(pk=command_id, sensor_id=sensor_id, status=CommandStatus.QUEUED,
                                     expires_at__gt=now).update(status=CommandStatus.SENT, sent_at=now)
    return Command.objects.get(pk=command_id) if claimed else None


def commands_claim_pending(*, sensor_id: str) -> list[Command]:
    """On (re)connect: expire what is too old, claim every queued command, oldest first."""
    commands_expire(sensor_id=sensor_id)
    pending = Command.objects.filter(sensor_id=sensor_id, status=CommandStatus.QUEUED).order_by("created_at")
    return [claimed for command_id in pending.values_list("pk", flat=True)
            if (claimed := command_claim_for_delivery(command_id=command_id, sensor_id=sensor_id))]


def command_complete(*, command_id, sensor_id: str, succeeded: bool, reply: dict | None) -> bool:
    """Record the device's answer; False when the command is not this sensor's or is settled."""
    return bool(Command.objects.filter(
        pk=command_id, sensor_id=sensor_id, status__in=[CommandStatus.QUEUED, CommandStatus.SENT],
    ).update(status=CommandStatus.ACKED if succeeded else CommandStatus.FAILED, reply=reply,
             completed_at=timezone.now()))


def commands_expire(*, sensor_id: str | None = None) -> int:
    """Queued or sent commands past their time to live become expired, as of expires_at."""
    now = timezone.now()
    overdue = Command.objects.filter(status__in=[CommandStatus.QUEUED, CommandStatus.SENT], expires_at__lte=now)
    if sensor_id is not None:
        overdue = overdue.filter(sensor_id=sensor_id)
    return overdue.update(status=CommandStatus.EXPIRED, completed_at=F("expires_at"))
