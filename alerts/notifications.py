"""Announcing alarm events: on the owner's fleet socket (in-app), by email, by webhook.

Each event gets one NotificationDelivery per enabled channel of its rule, created in the
same transaction as the event; after the commit each delivery goes to the `alerts` queue
(`workers.tasks.alerts.notification_deliver`). Webhooks are retried with exponential
backoff and end as a dead letter after ALERTS_DELIVERY_MAX_ATTEMPTS attempts.

A webhook is a JSON POST signed with the channel's secret:
    X-Sensorium-Signature: sha256=<hex HMAC-SHA256(secret, "<X-Sensorium-Timestamp>.<body>")>
"""

import hashlib
import hmac
import json
import logging
import threading
import time
from typing import Any

import httpx
from celery import current_app
from django.conf import settings
from django.core.mail import send_mail
from django.db import connections, transaction
from django.utils import timezone

from alerts.models import OPEN_STATES, Alarm, AlarmEvent, ChannelKind, DeliveryStatus, NotificationDelivery
from core.group_send import group_send_soon
from sensors.realtime import FLEET_STAFF_GROUP, fleet_group

logger = logging.getLogger(__name__)
DELIVER_TASK = "workers.tasks.alerts.notification_deliver"  # by name: tasks sit above this layer
SIGNATURE_HEADER = "X-Sensorium-Signature"
TIMESTAMP_HEADER = "X-Sensorium-Timestamp"
MAX_BACKOFF_S = 600


def _when(moment) -> str | None:
    return moment.isoformat().replace("+00:00", "Z") if moment else None


def alarm_body(alarm: Alarm) -> dict[str, Any]:
    """An alarm as the API, the webhooks and the fleet socket show it."""
    return {
        "id": alarm.pk, "rule": alarm.rule_id, "rule_name": alarm.rule.name, "sensor": alarm.sensor_id,
        "severity": alarm.severity, "state": alarm.state, "message": alarm.message,
        "raised_at": _when(alarm.raised_at), "first_value": alarm.first_value, "first_at": _when(alarm.first_at),
        "last_value": alarm.last_value, "last_at": _when(alarm.last_at), "retrigger_count": alarm.retrigger_count,
        "acknowledged_at": _when(alarm.acknowledged_at),
        "acknowledged_by": alarm.acknowledged_by.username if alarm.acknowledged_by_id else None,
        "cleared_at": _when(alarm.cleared_at),
        "cleared_by": alarm.cleared_by.username if alarm.cleared_by_id else None,
    }


def alarm_event_announce(*, event: AlarmEvent) -> None:
    """Queue the event's deliveries (in the caller's transaction) and, after the commit,
    send them and tell the fleet sockets."""
    alarm = event.alarm
    payload = {"event": f"alarm.{event.kind}", "at": _when(event.at), "note": event.note,
               "by": event.by.username if event.by_id else None, "alarm": alarm_body(alarm)}
    channels = alarm.rule.channels.filter(enabled=True)
    deliveries = NotificationDelivery.objects.bulk_create(
        [NotificationDelivery(event=event, channel=channel, owner_id=alarm.owner_id, payload=payload)
         for channel in channels])
    delivery_ids = [delivery.pk for delivery in deliveries]
    transaction.on_commit(lambda: _after_commit(alarm_id=alarm.pk, kind=event.kind, delivery_ids=delivery_ids))


def _after_commit(*, alarm_id: int, kind: str, delivery_ids: list[int]) -> None:
    for delivery_id in delivery_ids:
        deliveries_enqueue(delivery_id=delivery_id)
    try:
        alarm_live_publish(alarm_id=alarm_id, kind=kind)
    except Exception:  # the socket is a courtesy; the alarm and its deliveries are stored
        logger.exception("Could not publish alarm %s to the fleet sockets", alarm_id)


def alarm_live_publish(*, alarm_id: int, kind: str) -> None:
    """`{"type": "alarm", "event", "alarm", "open_alarms"}` to the owner's fleet sockets and
    staff's (each with its own count of open alarms); sent without waiting for it."""
    alarm = Alarm.objects.select_related("rule", "acknowledged_by", "cleared_by").get(pk=alarm_id)
    body = alarm_body(alarm)
    owner_open = Alarm.objects.filter(owner_id=alarm.owner_id, state__in=OPEN_STATES).count()
    all_open = Alarm.objects.filter(state__in=OPEN_STATES).count()
    group_send_soon([(group, {"type": "fleet.status", "event": {"type": "alarm", "event": kind, "alarm": body,
                                                                "open_alarms": open_count}})
                     for group, open_count in ((fleet_group(user_id=alarm.owner_id), owner_open),
                                               (FLEET_STAFF_GROUP, all_open))])


def deliveries_enqueue(*, delivery_id: int) -> None:
    task = current_app.tasks[DELIVER_TASK]
    if current_app.conf.task_always_eager:
        # No worker in the embedded setup: deliver beside the caller (a slow receiver and its
        # retries must not hold up the readings that raised the alarm).
        threading.Thread(target=_deliver_beside, args=(task, delivery_id), name=f"alarm-delivery-{delivery_id}",
                         daemon=True).start()
        return
    try:
        task.delay(delivery_id)
    except Exception:
        logger.exception("Could not queue alarm delivery %s; it stays pending", delivery_id)


def _deliver_beside(task, delivery_id: int) -> None:
    try:
        task.apply(args=[delivery_id])
    finally:
        connections.close_all()


# --- Attempts ------------------------------------------------------------------------------

class DeliveryFailed(Exception):
    def __init__(self, reason: str, status_code: int | None = None):
        super().__init__(reason)
        self.status_code = status_code


def webhook_signature(*, secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def _webhook_send(*, delivery: NotificationDelivery) -> int:
    body = json.dumps(delivery.payload, separators=(",", ":"), sort_keys=True).encode()
    timestamp = str(int(time.time()))
    headers = {"Content-Type": "application/json", "User-Agent": "Sensorium-Alarms/1",
               "X-Sensorium-Event": delivery.payload["event"], "X-Sensorium-Delivery": str(delivery.pk),
               TIMESTAMP_HEADER: timestamp,
               SIGNATURE_HEADER: webhook_signature(secret=delivery.channel.secret, timestamp=timestamp, body=body)}
    try:
        response = httpx.post(delivery.channel.url, content=body, headers=headers,
                              timeout=settings.ALERTS_WEBHOOK_TIMEOUT_S)
    except httpx.HTTPError as exc:
        raise DeliveryFailed(f"{type(exc).__name__}: {exc}") from exc
    if not 200 <= response.status_code < 300:
        raise DeliveryFailed(f"HTTP {response.status_code}: {response.text[:200]}", response.status_code)
    return response.status_code


def _email_send(*, delivery: NotificationDelivery) -> None:
    alarm = delivery.payload["alarm"]
    subject = f"[Sensorium] {delivery.payload['event'].split('.')[1]}: {alarm['message']}"[:200]
    lines = [f"{key}: {alarm[key]}" for key in ("sensor", "rule_name", "severity", "state", "first_value",
                                                 "first_at", "last_value", "last_at", "retrigger_count")]
    if delivery.payload.get("by"):
        lines.append(f"by: {delivery.payload['by']}")
    try:
        send_mail(subject, "\n".join(lines), settings.DEFAULT_FROM_EMAIL, delivery.channel.emails)
    except OSError as exc:  # smtplib's errors are OSErrors too
        raise DeliveryFailed(f"{type(exc).__name__}: {exc}") from exc


def retry_delay(*, attempts: int) -> float:
    return min(settings.ALERTS_DELIVERY_BACKOFF_S * 2 ** (attempts - 1), MAX_BACKOFF_S)


def delivery_attempt(*, delivery_id: int) -> float | None:
    """One attempt. Returns the seconds to wait before the next one, or None when done
    (sent, dead-lettered, or already finished by an earlier run of a redelivered task)."""
    with transaction.atomic():
        delivery = (NotificationDelivery.objects.select_for_update().select_related("channel")
                    .filter(pk=delivery_id).first())
        if delivery is None or delivery.status in (DeliveryStatus.SENT, DeliveryStatus.DEAD):
            return None
        delivery.attempts += 1
        delivery.last_attempt_at = timezone.now()
        try:
            if delivery.channel.kind == ChannelKind.WEBHOOK:
                delivery.last_status_code = _webhook_send(delivery=delivery)
            else:
                _email_send(delivery=delivery)
        except DeliveryFailed as exc:
            delivery.last_error, delivery.last_status_code = str(exc), exc.status_code
            give_up = delivery.attempts >= settings.ALERTS_DELIVERY_MAX_ATTEMPTS
            delivery.status = DeliveryStatus.DEAD if give_up else DeliveryStatus.RETRYING
            delivery.save()
            logger.warning("Alarm delivery %s attempt %s failed%s: %s", delivery.pk, delivery.attempts,
                           " (dead letter)" if give_up else "", exc)
            return None if give_up else retry_delay(attempts=delivery.attempts)
        delivery.status, delivery.delivered_at, delivery.last_error = DeliveryStatus.SENT, timezone.now(), ""
        delivery.save()
        return None
