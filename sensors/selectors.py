from collections.abc import Iterable

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone

from sensors.models import CollectJob, Command, CommandStatus, Sensor, SensorStatus
from sensors.tokens import device_token_hash
from users.models import User


def sensor_list(*, user: User) -> QuerySet[Sensor]:
    """The sensors a user may see: their own, or every sensor for staff."""
    sensors = Sensor.objects.select_related("owner")
    return sensors if user.is_staff else sensors.filter(owner=user)


def sensor_get(*, user: User, sensor_id: str) -> Sensor:
    """A sensor the user may see, or Http404 (never 403: another user's id stays unknown)."""
    return get_object_or_404(sensor_list(user=user), pk=sensor_id)


def sensor_get_by_token(*, token: str) -> Sensor | None:
    if not token:
        return None
    return Sensor.objects.filter(token_hash=device_token_hash(token)).first()


def sensor_ids_visible(*, user: User, sensor_ids: set[str]) -> set[str]:
    return set(sensor_list(user=user).filter(pk__in=sensor_ids).values_list("pk", flat=True))


def ble_sensor_list() -> QuerySet[Sensor]:
    """Sensors a BLE gateway listens to: not deactivated, with a BLE profile and a MAC address."""
    return (Sensor.objects.exclude(status=SensorStatus.INACTIVE).exclude(ble_profile="")
            .filter(mac_address__isnull=False).order_by("pk"))


def collect_job_get(*, user: User, job_id: str) -> CollectJob:
    """A collect job its requester (or staff) may see, or Http404."""
    jobs = CollectJob.objects.select_related("sensor")
    if not user.is_staff:
        jobs = jobs.filter(owner=user)
    return get_object_or_404(jobs, pk=job_id)


def commands_of(*, sensor: Sensor) -> QuerySet[Command]:
    """The sensor's commands, newest first (the API pages through them)."""
    return Command.objects.filter(sensor=sensor).select_related("created_by").order_by("-created_at", "-pk")


def commands_shown(*, commands: Iterable[Command]) -> list[Command]:
    """Commands as the API and pages show them: one queued or sent past its time to live is
    shown expired (at expires_at) before the sweep (commands_expire) records it."""
    now = timezone.now()
    commands = list(commands)
    for command in commands:
        if command.status in (CommandStatus.QUEUED, CommandStatus.SENT) and command.expires_at <= now:
            command.status, command.completed_at = CommandStatus.EXPIRED, command.expires_at
    return commands


def command_list(*, sensor: Sensor, limit: int = 200) -> list[Command]:
    """The sensor's `limit` most recent commands, newest first, as shown."""
    return commands_shown(commands=commands_of(sensor=sensor)[:limit])


def sensor_find(*, sensor_id: str) -> Sensor | None:
    """A sensor by id, whoever owns it (for transports that authenticated the device already)."""
    return Sensor.objects.filter(pk=sensor_id).first()


def commands_queued_held_by(*, channel: str) -> list[tuple[str, str]]:
    """(command id, sensor id) of queued commands for online devices held on `channel`, oldest first."""
    rows = (Command.objects.filter(status=CommandStatus.QUEUED, sensor__online=True, sensor__connection_channel=channel)
            .order_by("created_at").values_list("pk", "sensor_id"))
    return [(str(command_id), sensor_id) for command_id, sensor_id in rows]


def command_sensor_id(*, command_id) -> str | None:
    return Command.objects.filter(pk=command_id).values_list("sensor_id", flat=True).first()


def sensor_statuses() -> dict[str, str]:
    """Every sensor's id → status (for transports reconciling their own view of the registry)."""
    return dict(Sensor.objects.values_list("pk", "status"))
