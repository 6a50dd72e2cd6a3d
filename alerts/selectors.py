"""Reads: what a user may see (their own; staff everything)."""

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from alerts.models import OPEN_STATES, Alarm, AlarmEvent, NotificationChannel, NotificationDelivery, Rule
from users.models import User


def _mine(queryset: QuerySet, *, user: User) -> QuerySet:
    return queryset if user.is_staff else queryset.filter(owner=user)


def rule_list(*, user: User) -> QuerySet[Rule]:
    return _mine(Rule.objects.select_related("owner").prefetch_related("channels"), user=user)


def channel_list(*, user: User) -> QuerySet[NotificationChannel]:
    return _mine(NotificationChannel.objects.select_related("owner"), user=user)


def alarm_list(*, user: User, active: bool | None = None, state: str = "", severity: str = "",
               sensor_id: str = "", rule_id: int | None = None) -> QuerySet[Alarm]:
    alarms = _mine(Alarm.objects.select_related("rule", "acknowledged_by", "cleared_by"), user=user)
    if active is not None:
        alarms = alarms.filter(state__in=OPEN_STATES) if active else alarms.exclude(state__in=OPEN_STATES)
    if state:
        alarms = alarms.filter(state=state)
    if severity:
        alarms = alarms.filter(severity=severity)
    if sensor_id:
        alarms = alarms.filter(sensor_id=sensor_id)
    if rule_id is not None:
        alarms = alarms.filter(rule_id=rule_id)
    return alarms.order_by("-id")


def alarm_get(*, user: User, alarm_id: int) -> Alarm:
    """An alarm the user may see, or Http404 (another user's alarm stays unknown)."""
    return get_object_or_404(alarm_list(user=user), pk=alarm_id)


def alarm_open_count(*, user: User, sensor_id: str = "") -> int:
    return alarm_list(user=user, active=True, sensor_id=sensor_id).count()


def alarm_history(*, alarm: Alarm) -> QuerySet[AlarmEvent]:
    return AlarmEvent.objects.filter(alarm=alarm).select_related("by").prefetch_related("deliveries__channel")


def delivery_list(*, user: User, status: str = "") -> QuerySet[NotificationDelivery]:
    deliveries = _mine(NotificationDelivery.objects.select_related("channel", "event"), user=user)
    return deliveries.filter(status=status) if status else deliveries
