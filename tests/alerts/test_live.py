"""Alarm events reach the owner's fleet socket (and staff's), never another user's."""

import pytest

from alerts.evaluation import readings_evaluate
from alerts.models import Alarm
from alerts.services import alarm_acknowledge
from tests.alerts.helpers import metric_row, rule_make
from tests.live.helpers import access_token, in_thread, receive, receive_until, socket_open

pytestmark = pytest.mark.django_db(transaction=True)


async def fleet_socket(user):
    socket = await socket_open(f"/ws/fleet/?token={access_token(user)}")
    assert (await receive(socket))["type"] == "snapshot"
    return socket


async def test_raised_and_acknowledged_alarms_reach_the_owner_s_and_staff_s_fleet_sockets(
        user, other_user, staff_user, make_sensor):
    meter, _ = await in_thread(make_sensor)(owner=user, id="meter-1", device_type="energy_meter")
    await in_thread(rule_make)(owner=user, sensor=meter, condition="above", field="power", threshold=1000)
    alice, bob, staff = await fleet_socket(user), await fleet_socket(other_user), await fleet_socket(staff_user)

    await in_thread(readings_evaluate)(metrics=[metric_row("meter-1", 0, "power", 1500)])
    for socket in (alice, staff):
        frame = await receive_until(socket, "alarm")
        assert (frame["event"], frame["alarm"]["sensor"], frame["alarm"]["state"], frame["open_alarms"]) == (
            "raised", "meter-1", "active", 1)
    alarm = await in_thread(Alarm.objects.get)()
    await in_thread(alarm_acknowledge)(alarm=alarm, user=user)
    acknowledged = await receive_until(alice, "alarm")
    assert (acknowledged["event"], acknowledged["alarm"]["acknowledged_by"]) == ("acknowledged", "alice")
    # Bob's first alarm frame is about his own sensor: nothing of Alice's reached him before it.
    bobs, _ = await in_thread(make_sensor)(owner=other_user, id="meter-bob", device_type="energy_meter")
    await in_thread(rule_make)(owner=other_user, sensor=bobs, condition="above", field="power", threshold=1)
    await in_thread(readings_evaluate)(metrics=[metric_row("meter-bob", 0, "power", 5)])
    first = await receive_until(bob, "alarm")
    assert (first["alarm"]["sensor"], first["open_alarms"]) == ("meter-bob", 1)
    for socket in (alice, bob, staff):
        await socket.disconnect()
