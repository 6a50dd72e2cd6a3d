"""/alarms/ and the banner on the fleet and sensor pages, rendered on the server."""

import pytest

from alerts.evaluation import readings_evaluate
from alerts.models import Alarm, AlarmState
from tests.alerts.helpers import metric_row, rule_make
from tests.factories import sensor_make

pytestmark = pytest.mark.django_db


@pytest.fixture
def alarmed(user, other_user):
    mine, _ = sensor_make(owner=user, id="meter-a", name="Main panel", device_type="energy_meter")
    quiet, _ = sensor_make(owner=user, id="meter-q", name="Quiet panel", device_type="energy_meter")
    theirs, _ = sensor_make(owner=other_user, id="meter-bob", name="Bob's panel", device_type="energy_meter")
    for owner, sensor in ((user, mine), (other_user, theirs)):
        rule_make(owner=owner, sensor=sensor, name="Power limit", condition="above", field="power", threshold=100)
        readings_evaluate(metrics=[metric_row(sensor.pk, 0, "power", 500)])
    return Alarm.objects.get(sensor=mine)


def test_the_alarms_page_lists_only_the_users_alarms_and_acknowledges(client, user, alarmed):
    client.force_login(user)
    page = client.get("/alarms/").content.decode()
    assert "Main panel" in page and "Bob&#x27;s panel" not in page and "Acknowledge" in page
    response = client.post(f"/alarms/{alarmed.pk}/acknowledge", {"next": "/alarms/"})
    assert response.status_code == 302 and response["Location"] == "/alarms/"
    alarmed.refresh_from_db()
    assert (alarmed.state, alarmed.acknowledged_by) == (AlarmState.ACKNOWLEDGED, user)
    client.post(f"/alarms/{alarmed.pk}/clear", {"next": "https://evil.example/"})
    alarmed.refresh_from_db()
    assert alarmed.state == AlarmState.CLEARED
    assert "No open alarms" in client.get("/alarms/").content.decode()
    assert "Main panel" in client.get("/alarms/", {"show": "all"}).content.decode()


def test_another_users_alarm_cannot_be_acknowledged_from_the_page(client, user, other_user, alarmed):
    theirs = Alarm.objects.get(sensor_id="meter-bob")
    client.force_login(user)
    assert client.post(f"/alarms/{theirs.pk}/acknowledge").status_code == 404
    theirs.refresh_from_db()
    assert theirs.state == AlarmState.ACTIVE


def test_the_banner_shows_on_the_fleet_page_and_the_alarmed_sensor_s_page(client, user, alarmed):
    client.force_login(user)
    overview = client.get("/").content.decode()
    assert 'id="alarm-banner"' in overview and "Power limit: meter-a" in overview
    assert '<strong id="alarm-count">1</strong>' in overview
    sensor_page = client.get("/sensors/meter-a/").content.decode()
    assert "Power limit: meter-a" in sensor_page
    quiet_page = client.get("/sensors/meter-q/").content.decode()
    assert '<strong id="alarm-count">0</strong>' in quiet_page and "Power limit" not in quiet_page
