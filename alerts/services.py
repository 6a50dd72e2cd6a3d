"""Writes: rules and channels, and the alarm lifecycle active → acknowledged → cleared.

Each lifecycle step is recorded once (AlarmEvent, unique per alarm and kind) and announced
once, after the commit, on the rule's channels and the owner's fleet socket.
"""

from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from alerts import notifications
from alerts.models import (
    OPEN_STATES,
    Alarm,
    AlarmCondition,
    AlarmEvent,
    AlarmEventKind,
    AlarmState,
    NotificationChannel,
    Rule,
)
from alerts.rules import CompiledRule, rules_changed
from users.models import User


class AlarmTransitionInvalid(Exception):
    """The alarm is not in a state this step applies to."""


# --- Rules and channels -----------------------------------------------------------------

@transaction.atomic
def rule_create(*, owner: User, channels: list[NotificationChannel] = (), **fields: Any) -> Rule:
    rule = Rule.objects.create(owner=owner, **fields)
    rule.channels.set(channels)
    transaction.on_commit(rules_changed)
    return rule


@transaction.atomic
def rule_update(*, rule: Rule, channels: list[NotificationChannel] | None = None, **fields: Any) -> Rule:
    for name, value in fields.items():
        setattr(rule, name, value)
    rule.save()
    if channels is not None:
        rule.channels.set(channels)
    transaction.on_commit(rules_changed)
    return rule


@transaction.atomic
def rule_delete(*, rule: Rule) -> None:
    rule.delete()
    transaction.on_commit(rules_changed)


def channel_create(*, owner: User, **fields: Any) -> NotificationChannel:
    return NotificationChannel.objects.create(owner=owner, **fields)


def channel_update(*, channel: NotificationChannel, **fields: Any) -> NotificationChannel:
    for name, value in fields.items():
        setattr(channel, name, value)
    channel.save()
    return channel


# --- The lifecycle ------------------------------------------------------------------------

def _event_record(*, alarm: Alarm, kind: str, by: User | None = None, value: float | None = None,
                  note: str = "") -> None:
    event = AlarmEvent.objects.create(alarm=alarm, kind=kind, by=by, value=value, note=note)
    notifications.alarm_event_announce(event=event)


def alarm_raise(*, rule: CompiledRule, sensor_id: str, first_at: datetime, first_value: float | None,
                last_at: datetime, last_value: float | None) -> int | None:
    """Raise the rule's alarm on the sensor; returns the open alarm's id.

    The INSERT relies on the partial unique index: when another worker raised it meanwhile,
    ours conflicts, nothing is announced, and the open alarm takes the newer reading.
    """
    try:
        with transaction.atomic():
            alarm = Alarm.objects.create(
                rule_id=rule.id, sensor_id=sensor_id, owner_id=rule.owner_id, severity=rule.severity,
                message=f"{rule.name}: {sensor_id} {rule.describe(last_value)}"[:300],
                first_at=first_at, first_value=first_value, last_at=last_at, last_value=last_value)
            _event_record(alarm=alarm, kind=AlarmEventKind.RAISED, value=last_value)
            return alarm.pk
    except IntegrityError:
        open_alarm = Alarm.objects.filter(rule_id=rule.id, sensor_id=sensor_id, state__in=OPEN_STATES).first()
        if open_alarm is None:  # the sensor or the rule is gone
            return None
        alarm_triggers_record(alarm_id=open_alarm.pk, retriggers=0, last_at=last_at, last_value=last_value)
        return open_alarm.pk


def alarm_triggers_record(*, alarm_id: int, retriggers: int, last_at: datetime, last_value: float | None) -> None:
    """An open alarm's condition met again: counted, never announced."""
    if retriggers:
        Alarm.objects.filter(pk=alarm_id, state__in=OPEN_STATES).update(
            retrigger_count=F("retrigger_count") + retriggers)
    Alarm.objects.filter(pk=alarm_id, state__in=OPEN_STATES, last_at__lt=last_at).update(
        last_at=last_at, last_value=last_value)


@transaction.atomic
def alarm_acknowledge(*, alarm: Alarm, user: User, note: str = "") -> Alarm:
    changed = Alarm.objects.filter(pk=alarm.pk, state=AlarmState.ACTIVE).update(
        state=AlarmState.ACKNOWLEDGED, acknowledged_at=timezone.now(), acknowledged_by=user)
    alarm.refresh_from_db()
    if not changed:
        raise AlarmTransitionInvalid(f"Only an active alarm can be acknowledged; this one is {alarm.state}.")
    _event_record(alarm=alarm, kind=AlarmEventKind.ACKNOWLEDGED, by=user, note=note)
    return alarm


def _close(*, alarm_id: int, by: User | None, value: float | None, note: str) -> Alarm | None:
    changed = Alarm.objects.filter(pk=alarm_id, state__in=OPEN_STATES).update(
        state=AlarmState.CLEARED, cleared_at=timezone.now(), cleared_by=by)
    if not changed:
        return None
    AlarmCondition.objects.filter(alarm_id=alarm_id).update(alarm=None, holding=False, pending_since=None,
                                                           pending_value=None)
    alarm = Alarm.objects.get(pk=alarm_id)
    _event_record(alarm=alarm, kind=AlarmEventKind.CLEARED, by=by, value=value, note=note)
    return alarm


@transaction.atomic
def alarm_clear(*, alarm: Alarm, user: User, note: str = "") -> Alarm:
    """Clear by hand. Should the condition still hold, the next readings raise a new alarm."""
    cleared = _close(alarm_id=alarm.pk, by=user, value=None, note=note or "cleared by hand")
    if cleared is None:
        alarm.refresh_from_db()
        raise AlarmTransitionInvalid("This alarm is already cleared.")
    return cleared


def alarm_clear_by_condition(*, alarm_id: int, value: float | None, note: str) -> bool:
    with transaction.atomic():
        return _close(alarm_id=alarm_id, by=None, value=value, note=note) is not None


def alarms_open_of(*, rule_ids: list[int], sensor_id: str | None = None) -> dict[tuple[int, str], Alarm]:
    alarms = Alarm.objects.filter(rule_id__in=rule_ids, state__in=OPEN_STATES)
    if sensor_id is not None:
        alarms = alarms.filter(sensor_id=sensor_id)
    return {(alarm.rule_id, alarm.sensor_id): alarm for alarm in alarms}


def open_alarm_filter() -> Q:
    return Q(state__in=OPEN_STATES)
