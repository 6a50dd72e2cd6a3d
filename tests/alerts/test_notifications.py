"""Email read back from a real SMTP server, signed webhooks checked by a real receiver,
retried after failures and dead-lettered; raised, acknowledged and cleared announced once each."""

import email
from email import policy

import pytest

from alerts.evaluation import readings_evaluate
from alerts.models import Alarm, DeliveryStatus, NotificationDelivery
from alerts.services import alarm_acknowledge, channel_create
from tests.alerts.helpers import metric_row, rule_make
from tests.alerts.loopback import smtp_server, wait_for, webhook_receiver
from tests.servers import celery_worker

pytestmark = pytest.mark.django_db(transaction=True)
SECRET = "a-webhook-secret-of-some-length"


@pytest.fixture
def meter(make_sensor, user):
    sensor, _ = make_sensor(owner=user, id="meter-1", device_type="energy_meter")
    return sensor


@pytest.fixture
def fast_retries(settings):
    settings.ALERTS_DELIVERY_BACKOFF_S = 0.05
    settings.ALERTS_DELIVERY_MAX_ATTEMPTS = 4


def finished(*, count: int):
    def check():
        done = list(NotificationDelivery.objects.filter(status__in=[DeliveryStatus.SENT, DeliveryStatus.DEAD]))
        return done if len(done) >= count else None
    return check


def power(seconds, value):
    return [metric_row("meter-1", seconds, "power", value)]


def test_an_alarm_is_emailed_and_read_back_from_the_smtp_server(settings, user, meter):
    with smtp_server() as (port, messages):
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
        settings.DEFAULT_FROM_EMAIL = "alarms@sensorium.test"
        mail = channel_create(owner=user, name="Ops", kind="email", emails=["ops@example.com", "oncall@example.com"])
        rule_make(owner=user, sensor=meter, name="Panel overload", condition="above", field="power", threshold=1000,
                  severity="critical", channels=[mail])
        readings_evaluate(metrics=power(0, 1500))
        wait_for(finished(count=1), what="the email delivery")
        wait_for(lambda: messages, what="the message at the SMTP server")
    (envelope,) = messages
    assert envelope.mail_from == "alarms@sensorium.test"
    assert sorted(envelope.rcpt_tos) == ["oncall@example.com", "ops@example.com"]
    message = email.message_from_bytes(envelope.content, policy=policy.default)
    assert message["Subject"] == "[Sensorium] raised: Panel overload: meter-1 power 1500 above 1000"
    body = message.get_content()
    assert "sensor: meter-1" in body and "severity: critical" in body and "last_value: 1500\r\n" in body
    assert NotificationDelivery.objects.get().status == DeliveryStatus.SENT


def test_a_webhook_is_signed_retried_after_failures_and_each_step_announced_once(fast_retries, user, meter):
    with webhook_receiver(secret=SECRET, fail_first=2) as receiver:
        hook = channel_create(owner=user, name="Hook", kind="webhook", url=receiver.url, secret=SECRET)
        rule_make(owner=user, sensor=meter, condition="above", field="power", threshold=1000, hysteresis=100,
                  channels=[hook])
        readings_evaluate(metrics=power(0, 1500))
        for second in range(1, 40):  # a storm at the limit: counted, never announced
            readings_evaluate(metrics=power(second, 1001 if second % 2 else 950))
        readings_evaluate(metrics=power(0, 1500))  # a redelivered batch
        wait_for(finished(count=1), what="the raised delivery")
        alarm = Alarm.objects.get()
        alarm_acknowledge(alarm=alarm, user=user)
        readings_evaluate(metrics=power(50, 100))  # back to normal: cleared
        wait_for(finished(count=3), what="the acknowledged and cleared deliveries")
    assert [request["answered"] for request in receiver.requests] == [503, 503, 200, 200, 200]
    assert all(request["verified"] for request in receiver.requests)
    assert [request["body"]["event"] for request in receiver.accepted] == [
        "alarm.raised", "alarm.acknowledged", "alarm.cleared"]
    raised = receiver.accepted[0]
    assert raised["headers"]["X-Sensorium-Event"] == "alarm.raised"
    assert raised["body"]["alarm"]["sensor"] == "meter-1" and raised["body"]["alarm"]["state"] == "active"
    assert receiver.accepted[2]["body"]["alarm"]["retrigger_count"] == 19
    delivery = NotificationDelivery.objects.get(event__kind="raised")
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.SENT, 3)


def test_a_webhook_that_keeps_failing_ends_as_a_dead_letter(fast_retries, user, meter, alice_client):
    with webhook_receiver(secret=SECRET, fail_first=100) as receiver:
        hook = channel_create(owner=user, name="Hook", kind="webhook", url=receiver.url, secret=SECRET)
        rule_make(owner=user, sensor=meter, condition="above", field="power", threshold=1000, channels=[hook])
        readings_evaluate(metrics=power(0, 1500))
        (delivery,) = wait_for(finished(count=1), what="the dead letter")
    assert len(receiver.requests) == 4
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == (DeliveryStatus.DEAD, 4, 503)
    dead = alice_client.get("/api/v1/alarms/deliveries", {"status": "dead"}).json()["results"]
    assert [(entry["id"], entry["attempts"], entry["event"]) for entry in dead] == [(delivery.pk, 4, "raised")]


def test_a_receiver_that_checks_signatures_refuses_a_wrong_secret(fast_retries, user, meter):
    with webhook_receiver(secret="not-the-channel-secret") as receiver:
        hook = channel_create(owner=user, name="Hook", kind="webhook", url=receiver.url, secret=SECRET)
        rule_make(owner=user, sensor=meter, condition="above", field="power", threshold=1000, channels=[hook])
        readings_evaluate(metrics=power(0, 1500))
        (delivery,) = wait_for(finished(count=1), what="the dead letter")
    assert {request["verified"] for request in receiver.requests} == {False}
    assert (delivery.status, delivery.last_status_code) == (DeliveryStatus.DEAD, 401)


@pytest.mark.services
def test_a_real_worker_retries_and_dead_letters_webhooks_on_the_alerts_queue(broker_mode, user, meter):
    with webhook_receiver(secret=SECRET, fail_first=2) as flaky, webhook_receiver(secret=SECRET,
                                                                                 fail_first=100) as down:
        hooks = [channel_create(owner=user, name=name, kind="webhook", url=receiver.url, secret=SECRET)
                 for name, receiver in (("flaky", flaky), ("down", down))]
        rule_make(owner=user, sensor=meter, condition="above", field="power", threshold=1000, channels=hooks)
        with celery_worker(queues="alerts", ALERTS_DELIVERY_BACKOFF_S="0.2", ALERTS_DELIVERY_MAX_ATTEMPTS="3"):
            readings_evaluate(metrics=power(0, 1500))
            wait_for(finished(count=2), what="both deliveries on the worker")
    statuses = dict(NotificationDelivery.objects.values_list("channel__name", "status"))
    assert statuses == {"flaky": DeliveryStatus.SENT, "down": DeliveryStatus.DEAD}
    assert [request["answered"] for request in flaky.requests] == [503, 503, 200]
    assert len(down.requests) == 3 and all(request["verified"] for request in flaky.requests + down.requests)
