"""Two workers evaluating concurrent batches of one sensor raise ONE alarm: the partial
unique index decides, not application code. PostgreSQL only: SQLite takes one writer at
a time, so it cannot interleave two evaluations."""

import threading

import pytest
from django.db import connection, connections, transaction

from alerts.evaluation import readings_evaluate
from alerts.models import Alarm, AlarmEvent, NotificationDelivery
from alerts.services import channel_create
from tests.alerts.helpers import metric_row, rule_make
from tests.alerts.loopback import wait_for

pytestmark = [pytest.mark.django_db(transaction=True)]


@pytest.fixture
def postgres():
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only: SQLite serialises writers, so evaluations cannot interleave")


def in_thread(target, *args):
    errors = []

    def run():
        try:
            target(*args)
        except Exception as exc:  # reported by the test
            errors.append(exc)
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    return thread, errors


def test_a_second_evaluation_that_missed_the_first_alarm_conflicts_instead_of_raising(postgres, settings, user,
                                                                                      make_sensor):
    """B reads the state before A commits, so B decides to raise too; its INSERT waits on the
    index until A commits, then conflicts, and B updates A's alarm instead."""
    settings.ALERTS_DELIVERY_MAX_ATTEMPTS = 1  # nobody listens on port 9: one attempt, then a dead letter
    meter, _ = make_sensor(owner=user, id="meter-1", device_type="energy_meter")
    hook = channel_create(owner=user, name="Hook", kind="webhook", url="http://127.0.0.1:9/")
    rule_make(owner=user, sensor=meter, condition="above", field="power", threshold=1000, channels=[hook])
    a_raised, b_started = threading.Event(), threading.Event()

    def worker_a():
        with transaction.atomic():
            readings_evaluate(metrics=[metric_row("meter-1", 0, "power", 1500)])
            a_raised.set()
            b_started.wait(30)
            threading.Event().wait(0.5)  # give B time to reach its INSERT while A is uncommitted

    def worker_b():
        a_raised.wait(30)
        b_started.set()
        readings_evaluate(metrics=[metric_row("meter-1", 1, "power", 1700)])

    (thread_a, errors_a), (thread_b, errors_b) = in_thread(worker_a), in_thread(worker_b)
    thread_a.join(60)
    thread_b.join(60)
    assert errors_a == errors_b == []
    alarm = Alarm.objects.get()
    assert (alarm.first_value, alarm.last_value) == (1500, 1700)
    assert AlarmEvent.objects.count() == 1
    wait_for(lambda: NotificationDelivery.objects.filter(status="dead").exists(), what="the one delivery")
    assert NotificationDelivery.objects.count() == 1


def test_many_concurrent_batches_of_one_sensor_raise_one_alarm(postgres, user, make_sensor):
    meter, _ = make_sensor(owner=user, id="meter-1", device_type="energy_meter")
    rule_make(owner=user, sensor=meter, condition="above", field="power", threshold=1000)
    start = threading.Barrier(8)

    def worker(second):
        start.wait(30)
        readings_evaluate(metrics=[metric_row("meter-1", second, "power", 2000 + second)])

    runs = [in_thread(worker, second) for second in range(8)]
    for thread, _ in runs:
        thread.join(60)
    assert [error for _, errors in runs for error in errors] == []
    assert Alarm.objects.count() == 1 and AlarmEvent.objects.count() == 1
