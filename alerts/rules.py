"""Rules compiled for evaluation, and the per-process index of the rules of each sensor.

The index is what keeps evaluation cheap: a batch's sensors are looked up in memory; only
sensors not seen yet cost a query (one for them all). Any change to a rule or a sensor
bumps a generation counter in the shared cache (Redis in production), which every process
checks once per batch, so an edited rule applies at once everywhere.
"""

import operator
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.db.models import Q

from alerts.models import Condition, Rule
from sensors.models import Sensor

GENERATION_KEY = "alerts:rules:generation"

# Wire names of the IMU fields a rule may watch, and their storage names on ImuRow.
IMU_FIELDS = {
    "acceleration.x": "accel_x", "acceleration.y": "accel_y", "acceleration.z": "accel_z",
    "gyroscope.x": "gyro_x", "gyroscope.y": "gyro_y", "gyroscope.z": "gyro_z",
    "signal_strength": "signal_strength",
}
BATTERY_METRICS = ("battery_level", "battery")


@dataclass(frozen=True, slots=True)
class CompiledRule:
    id: int
    owner_id: int
    name: str
    condition: str
    field: str
    source: str  # "imu", "metric", "battery" or "silent"
    imu_value: operator.attrgetter | None
    threshold: float | None
    low: float | None
    high: float | None
    silent_seconds: int | None
    for_seconds: timedelta
    hysteresis: float
    severity: str

    def triggered(self, value: float) -> bool:
        condition = self.condition
        if condition == Condition.ABOVE:
            return value > self.threshold
        if condition in (Condition.BELOW, Condition.BATTERY_BELOW):
            return value < self.threshold
        return value < self.low or value > self.high

    def cleared(self, value: float) -> bool:
        """Back inside the limit by the hysteresis: only then does an open alarm clear."""
        condition, margin = self.condition, self.hysteresis
        if condition == Condition.ABOVE:
            return value <= self.threshold - margin
        if condition in (Condition.BELOW, Condition.BATTERY_BELOW):
            return value >= self.threshold + margin
        return self.low + margin <= value <= self.high - margin

    def any_triggered(self, values: list[float]) -> bool:
        if not values:
            return False
        condition = self.condition
        if condition == Condition.ABOVE:
            return max(values) > self.threshold
        if condition in (Condition.BELOW, Condition.BATTERY_BELOW):
            return min(values) < self.threshold
        return min(values) < self.low or max(values) > self.high

    def describe(self, value: float | None) -> str:
        shown = "no value" if value is None else f"{value:g}"
        if self.condition == Condition.SILENT:
            return f"no message for {self.silent_seconds} s"
        if self.condition == Condition.OUTSIDE:
            return f"{self.field} {shown} outside [{self.low:g}, {self.high:g}]"
        if self.condition == Condition.BATTERY_BELOW:
            return f"battery {shown} % below {self.threshold:g} %"
        return f"{self.field} {shown} {self.condition} {self.threshold:g}"


def rule_compile(rule: Rule) -> CompiledRule:
    if rule.condition == Condition.SILENT:
        source = "silent"
    elif rule.condition == Condition.BATTERY_BELOW:
        source = "battery"
    elif rule.field in IMU_FIELDS:
        source = "imu"
    else:
        source = "metric"
    return CompiledRule(
        id=rule.pk, owner_id=rule.owner_id, name=rule.name, condition=rule.condition, field=rule.field,
        source=source, imu_value=operator.attrgetter(IMU_FIELDS[rule.field]) if source == "imu" else None,
        threshold=rule.threshold, low=rule.low, high=rule.high, silent_seconds=rule.silent_seconds,
        for_seconds=timedelta(seconds=rule.for_seconds), hysteresis=rule.hysteresis, severity=rule.severity)


def rules_changed() -> str:
    """Every process drops its index before its next batch. A fresh random token rather
    than a counter: a cache that lost the key (restarted, flushed) must not bring back an
    old generation some process still holds."""
    generation = uuid.uuid4().hex
    cache.set(GENERATION_KEY, generation, timeout=None)
    return generation


class RuleIndex:
    """sensor id → the enabled rules that apply to it, built on demand and kept until a rule
    or sensor changes (or ALERTS_RULE_CACHE_S passes)."""

    def __init__(self):
        self._rules: dict[str, tuple[CompiledRule, ...]] = {}
        self._generation = None
        self._built_at = 0.0

    def _fresh(self) -> None:
        generation = cache.get(GENERATION_KEY) or rules_changed()
        now = time.monotonic()
        if generation != self._generation or now - self._built_at > settings.ALERTS_RULE_CACHE_S:
            self._rules, self._generation, self._built_at = {}, generation, now

    def rules_for(self, sensor_ids) -> dict[str, tuple[CompiledRule, ...]]:
        """The rules of each sensor that has any (sensors without rules are left out)."""
        self._fresh()
        missing = [sensor_id for sensor_id in sensor_ids if sensor_id not in self._rules]
        if missing:
            self._load(missing)
        rules = self._rules
        return {sensor_id: rules[sensor_id] for sensor_id in sensor_ids if rules[sensor_id]}

    def _load(self, sensor_ids: list[str]) -> None:
        sensors = list(Sensor.objects.filter(pk__in=sensor_ids).values_list("pk", "owner_id", "device_type"))
        found: dict[str, list[CompiledRule]] = {sensor_id: [] for sensor_id in sensor_ids}
        if sensors:
            scopes = Q(sensor_id__in=[pk for pk, _, _ in sensors]) | Q(
                sensor__isnull=True, owner_id__in={owner for _, owner, _ in sensors},
                device_type__in={device_type for _, _, device_type in sensors})
            rules = list(Rule.objects.filter(scopes, enabled=True))
            for pk, owner_id, device_type in sensors:
                found[pk] = [rule_compile(rule) for rule in rules
                             if rule.sensor_id == pk or (rule.sensor_id is None and rule.owner_id == owner_id
                                                         and rule.device_type == device_type)]
        for sensor_id, compiled in found.items():
            self._rules[sensor_id] = tuple(compiled)


rule_index = RuleIndex()
