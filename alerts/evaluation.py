"""Evaluating rules: on readings just written (typed rows, no second decode), on a
schedule for silence, and on presence changes.

Per batch: the batch's sensors' rules come from the in-process index (rules.py), then ONE
query loads the evaluation state of every (rule, sensor) pair. A pair that is quiet (no
pending condition, no open alarm) and whose values do not meet the condition is dismissed
with one max() or min() over its values; only the others are walked reading by reading.
Writes happen only when something changes: one upsert of the changed states, and the
alarm's own rows when it is raised, counted or cleared.
"""

import logging
import operator
from collections.abc import Iterable
from datetime import datetime
from itertools import groupby

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from alerts import services
from alerts.models import Alarm, AlarmCondition, Condition, OPEN_STATES, Rule
from alerts.rules import BATTERY_METRICS, CompiledRule, rule_compile, rule_index
from sensors.models import Sensor, SensorStatus

logger = logging.getLogger(__name__)
STATE_FIELDS = ["pending_since", "pending_value", "holding", "through", "alarm"]

Sample = tuple[datetime, float]


SENSOR_OF = operator.attrgetter("sensor_id")
BATTERY_OF = operator.attrgetter("battery_level")


class SensorRows:
    """One sensor's rows in a batch, with each rule's values taken at C speed (map, max)."""

    __slots__ = ("imu", "metrics", "state_battery", "_battery")

    def __init__(self):
        self.imu: list = []
        self.metrics: dict[str, list[Sample]] = {}
        self.state_battery: list[Sample] = []
        self._battery: list[Sample] | None = None

    def battery(self) -> list[Sample]:
        """Motion readings' battery_level, metrics named battery_level or battery, and the
        battery_level a metric reading carried (it rides on the sensor's state)."""
        if self._battery is None:
            self._battery = [(row.timestamp, row.battery_level) for row in self.imu if row.battery_level is not None]
            for name in BATTERY_METRICS:
                self._battery += self.metrics.get(name, [])
            self._battery += self.state_battery
        return self._battery

    def values(self, rule: CompiledRule) -> list[float]:
        if rule.source == "imu":
            values = list(map(rule.imu_value, self.imu))
            return values if rule.field != "signal_strength" else [value for value in values if value is not None]
        if rule.source == "metric":
            return [sample[1] for sample in self.metrics.get(rule.field, [])]
        values = [value for value in map(BATTERY_OF, self.imu) if value is not None]
        for series in (*(self.metrics.get(name, []) for name in BATTERY_METRICS), self.state_battery):
            values += [sample[1] for sample in series]
        return values

    def samples(self, rule: CompiledRule) -> list[Sample]:
        if rule.source == "imu":
            value = rule.imu_value
            return [(row.timestamp, value(row)) for row in self.imu if value(row) is not None]
        if rule.source == "metric":
            return self.metrics.get(rule.field, [])
        if rule.source == "battery":
            return self.battery()
        # silent: any reading is a sign of life
        times = [row.timestamp for row in self.imu] + [sample[0] for series in self.metrics.values() for sample in series]
        return [(max(times), 0.0)]


def _grouped(*, imu: Iterable, metrics: Iterable, states: Iterable, wanted: set[str]) -> dict[str, SensorRows]:
    rows: dict[str, SensorRows] = {}
    # A batch holds runs of one sensor's rows (one device's request each): group runs, not rows.
    for sensor_id, run in groupby(imu, key=SENSOR_OF):
        if sensor_id in wanted:
            if sensor_id not in rows:
                rows[sensor_id] = SensorRows()
            rows[sensor_id].imu.extend(run)
    for row in metrics:
        sensor_id = row.sensor_id
        if sensor_id in wanted:
            if sensor_id not in rows:
                rows[sensor_id] = SensorRows()
            rows[sensor_id].metrics.setdefault(row.name, []).append((row.timestamp, row.value))
    for state in states:
        if state.sensor_id in rows and state.battery_level is not None:
            rows[state.sensor_id].state_battery.append((state.last_seen, state.battery_level))
    return rows


def _walk(rule: CompiledRule, state: AlarmCondition, samples: list[Sample], sensor_id: str) -> bool:
    """Apply the samples newer than `state.through` in time order; True if the state changed."""
    through = state.through
    fresh = sorted(sample for sample in samples if through is None or sample[0] > through)
    if not fresh:
        return False
    before = (state.pending_since, state.pending_value, state.holding, state.alarm_id)
    retriggers, newest_trigger = 0, None
    for at, value in fresh:
        if rule.source == "silent":
            if state.alarm_id is not None and at > Alarm.objects.get(pk=state.alarm_id).first_at:
                services.alarm_clear_by_condition(alarm_id=state.alarm_id, value=None, note="a reading arrived")
                state.alarm_id = None
            continue
        if state.alarm_id is not None:
            if rule.cleared(value):
                services.alarm_clear_by_condition(alarm_id=state.alarm_id, value=value,
                                                  note=f"{rule.describe(value)} no longer")
                state.alarm_id, state.holding = None, False
            elif rule.triggered(value):
                if not state.holding:
                    retriggers += 1
                state.holding, newest_trigger = True, (at, value)
            else:
                state.holding = False  # inside the hysteresis band: not cleared
            continue
        if not rule.triggered(value):
            state.pending_since = state.pending_value = None
            state.holding = False
            continue
        if state.pending_since is None:
            state.pending_since, state.pending_value = at, value
        state.holding = True
        if at - state.pending_since >= rule.for_seconds:
            state.alarm_id = services.alarm_raise(rule=rule, sensor_id=sensor_id, first_at=state.pending_since,
                                                  first_value=state.pending_value, last_at=at, last_value=value)
            state.pending_since = state.pending_value = None
    if newest_trigger is not None and state.alarm_id is not None:
        services.alarm_triggers_record(alarm_id=state.alarm_id, retriggers=retriggers, last_at=newest_trigger[0],
                                       last_value=newest_trigger[1])
    changed = retriggers or before != (state.pending_since, state.pending_value, state.holding, state.alarm_id)
    if changed and rule.source != "silent":  # a silence's `through` is the last sign of life before it
        state.through = fresh[-1][0]
    return bool(changed)


UNQUIET = "(pending_since IS NOT NULL OR holding OR alarm_id IS NOT NULL)"


def _states_of(sensor_ids: list[str], *, unquiet_only: bool = False,
               keys: set[tuple[int, str]] | None = None) -> dict[tuple[int, str], AlarmCondition]:
    """The evaluation states of these sensors, in one query (one array parameter on
    PostgreSQL: a batch can hold hundreds of sensors). `unquiet_only`: only states with
    something pending, holding or open, which in a healthy fleet is next to none of them;
    `keys`: only these (rule, sensor) pairs."""
    table = AlarmCondition._meta.db_table
    if connection.vendor == "postgresql":
        where, params = "sensor_id = ANY(%s)", [sensor_ids]
    else:
        where, params = f"sensor_id IN ({', '.join(['%s'] * len(sensor_ids))})", sensor_ids
    if unquiet_only:
        where += f" AND {UNQUIET}"
    states = AlarmCondition.objects.raw(f"SELECT * FROM {table} WHERE {where}", params)
    return {(state.rule_id, state.sensor_id): state for state in states
            if keys is None or (state.rule_id, state.sensor_id) in keys}


def readings_evaluate(*, imu: list = (), metrics: list = (), sensors: list = ()) -> int:
    """Evaluate the rules of a written batch's sensors on its rows (telemetry.schema ImuRow and
    MetricRow; `sensors`: the batch's sensor states, whose battery_level covers metric
    readings). Idempotent: a redelivered batch changes nothing. Returns the states changed."""
    sensor_ids = {row.sensor_id for row in imu} | {row.sensor_id for row in metrics}
    rules_by_sensor = rule_index.rules_for(sensor_ids)
    if not rules_by_sensor:
        return 0
    rows_by_sensor = _grouped(imu=imu, metrics=metrics, states=sensors, wanted=set(rules_by_sensor))
    # Loading every quiet state of a busy batch (thousands of rows) cost more than the rules:
    # load the unquiet ones, and the quiet ones only where a condition is met now.
    states = _states_of(list(rows_by_sensor), unquiet_only=True)
    walks, met = [], set()
    for sensor_id, rows in rows_by_sensor.items():
        for rule in rules_by_sensor[sensor_id]:
            if (rule.id, sensor_id) not in states:
                if rule.source == "silent" or not rule.any_triggered(rows.values(rule)):
                    continue
                met.add((rule.id, sensor_id))
            walks.append((rule, rows, sensor_id))
    if not walks:  # the common case: nothing pending, nothing open, nothing met
        return 0
    if met:
        states.update(_states_of(sorted({sensor_id for _, sensor_id in met}), keys=met))
    with transaction.atomic():
        changed: list[AlarmCondition] = []
        for rule, rows, sensor_id in walks:
            state = states.get((rule.id, sensor_id)) or AlarmCondition(rule_id=rule.id, sensor_id=sensor_id)
            if _walk(rule, state, rows.samples(rule), sensor_id):
                changed.append(state)
        if changed:
            AlarmCondition.objects.bulk_create(changed, update_conflicts=True, unique_fields=["sensor", "rule"],
                                               update_fields=STATE_FIELDS)
    return len(changed)


def batch_evaluate(*, batch) -> int:
    """readings_evaluate on a telemetry.coldpath.ColdBatch (what the "written" hook carries)."""
    return readings_evaluate(imu=batch.imu, metrics=batch.metrics, sensors=batch.sensors)


# --- Silence -------------------------------------------------------------------------------

def _last_heard(sensor: dict, rule: Rule) -> datetime:
    """A sensor's last sign of life: its newest reading or message, or (never heard) since it
    was registered or the rule was made."""
    moments = [moment for moment in (sensor["last_seen"], sensor["last_message_at"]) if moment is not None]
    return max(moments) if moments else max(sensor["created_at"], rule.created_at)


def silence_check(*, now: datetime | None = None, sensor_ids: Iterable[str] | None = None) -> int:
    """Raise the silence alarms due (sensors quiet for their rule's silent_seconds): on a
    schedule, and for one sensor when it disconnects. Returns how many were raised."""
    now = now or timezone.now()
    rules = list(Rule.objects.filter(enabled=True, condition=Condition.SILENT))
    if not rules:
        return 0
    scopes = Q()
    for rule in rules:
        scopes |= Q(pk=rule.sensor_id) if rule.sensor_id else Q(owner_id=rule.owner_id, device_type=rule.device_type)
    sensors = Sensor.objects.filter(scopes).exclude(status=SensorStatus.INACTIVE)
    if sensor_ids is not None:
        sensors = sensors.filter(pk__in=list(sensor_ids))
    sensors = list(sensors.values("pk", "owner_id", "device_type", "last_seen", "last_message_at", "created_at"))
    open_pairs = set(Alarm.objects.filter(rule__in=rules, state__in=OPEN_STATES).values_list("rule_id", "sensor_id"))
    # A silence already raised (and maybe cleared by hand) is not raised again until the sensor speaks.
    raised_through = dict(((rule_id, sensor_id), through) for rule_id, sensor_id, through in
                          AlarmCondition.objects.filter(rule__in=rules).values_list("rule_id", "sensor_id", "through"))
    raised = 0
    for rule in rules:
        compiled = rule_compile(rule)
        for sensor in sensors:
            in_scope = sensor["pk"] == rule.sensor_id or (
                rule.sensor_id is None and sensor["owner_id"] == rule.owner_id
                and sensor["device_type"] == rule.device_type)
            if not in_scope or (rule.pk, sensor["pk"]) in open_pairs:
                continue
            heard = _last_heard(sensor, rule)
            through = raised_through.get((rule.pk, sensor["pk"]))
            if through is not None and through >= heard:
                continue
            silent_for = (now - heard).total_seconds()
            if silent_for < rule.silent_seconds:
                continue
            with transaction.atomic():
                alarm_id = services.alarm_raise(rule=compiled, sensor_id=sensor["pk"], first_at=heard,
                                                first_value=silent_for, last_at=now, last_value=silent_for)
                AlarmCondition.objects.update_or_create(rule_id=rule.pk, sensor_id=sensor["pk"],
                                                        defaults={"alarm_id": alarm_id, "through": heard})
            raised += 1
    return raised


def sensor_reconnected(*, sensor_id: str) -> int:
    """A device came back: its open silence alarms clear. Returns how many."""
    cleared = 0
    for alarm_id in Alarm.objects.filter(sensor_id=sensor_id, state__in=OPEN_STATES,
                                         rule__condition=Condition.SILENT).values_list("pk", flat=True):
        cleared += services.alarm_clear_by_condition(alarm_id=alarm_id, value=None, note="the device reconnected")
    return cleared


def sensor_disconnected(*, sensor_id: str) -> int:
    return silence_check(sensor_ids=[sensor_id])

