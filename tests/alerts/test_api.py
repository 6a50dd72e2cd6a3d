"""/api/v1/alarms…: the shared CRUD and isolation suite for rules and channels; alarms
listed, filtered, paged, acknowledged, cleared and their history, never across users."""

import pytest

from alerts.evaluation import readings_evaluate
from alerts.models import Alarm, AlarmState, NotificationChannel, Rule
from alerts.services import alarm_acknowledge, channel_create
from tests.alerts.helpers import metric_row, rule_make
from tests.api_mixins import ApiCrudTests, ApiResourceBase
from tests.factories import sensor_make

pytestmark = pytest.mark.django_db


class TestRuleApi(ApiCrudTests):
    collection_url = "/api/v1/alarms/rules"
    model = Rule
    create_body = {"name": "Meters over 5 kW", "device_type": "energy_meter", "condition": "above",
                   "field": "power", "threshold": 5000.0, "for_seconds": 600, "hysteresis": 200.0,
                   "severity": "critical"}
    update_body = {"threshold": 15.0, "enabled": False}
    invalid_body = ({"name": "No threshold", "device_type": "energy_meter", "condition": "above",
                     "field": "power"}, "threshold")

    def make(self, *, owner):
        return rule_make(owner=owner, device_type="imu", condition="battery_below", threshold=10)


class TestChannelApi(ApiCrudTests):
    collection_url = "/api/v1/alarms/channels"
    model = NotificationChannel
    create_body = {"name": "Ops mail", "kind": "email", "emails": ["ops@example.com"]}
    update_body = {"name": "Night shift", "enabled": False}
    invalid_body = ({"name": "Hook", "kind": "webhook"}, "url")

    def make(self, *, owner):
        return channel_create(owner=owner, name="Hook", kind="webhook", url="http://127.0.0.1:9/hook")


@pytest.mark.parametrize("body, field", [
    ({"condition": "above", "field": "power", "threshold": 1}, "sensor"),  # no scope
    ({"condition": "above", "field": "power", "threshold": 1, "sensor": "x", "device_type": "imu"}, "sensor"),
    ({"condition": "above", "field": "no spaces allowed", "threshold": 1, "device_type": "imu"}, "field"),
    ({"condition": "outside", "field": "acceleration.z", "low": 5, "high": 1, "device_type": "imu"}, "low"),
    ({"condition": "battery_below", "threshold": 150, "device_type": "imu"}, "threshold"),
    ({"condition": "silent", "device_type": "imu"}, "silent_seconds"),
    ({"condition": "sideways", "device_type": "imu"}, "condition"),
    ({"condition": "above", "field": "power", "threshold": 1, "device_type": "imu", "hysteresis": -1}, "hysteresis"),
])
def test_a_rule_that_cannot_work_is_refused_naming_the_field(alice_client, body, field):
    response = alice_client.post("/api/v1/alarms/rules", {"name": "r", **body}, format="json")
    ApiResourceBase.assert_error_shape(response, status=400, field=field)
    assert not Rule.objects.exists()


def test_a_rule_on_another_users_sensor_or_channel_is_refused(alice_client, other_user):
    theirs, _ = sensor_make(owner=other_user, id="bobs-meter", device_type="energy_meter")
    hook = channel_create(owner=other_user, name="Bob's hook", kind="webhook", url="http://127.0.0.1:9/")
    base = {"name": "r", "condition": "above", "field": "power", "threshold": 1}
    ApiResourceBase.assert_error_shape(alice_client.post("/api/v1/alarms/rules", {**base, "sensor": theirs.pk},
                                                         format="json"), status=400, field="sensor")
    ApiResourceBase.assert_error_shape(alice_client.post(
        "/api/v1/alarms/rules", {**base, "device_type": "energy_meter", "channels": [hook.pk]}, format="json"),
        status=400, field="channels")


def test_a_channel_s_secret_is_shown_once_on_create(alice_client):
    created = alice_client.post("/api/v1/alarms/channels", {"name": "Hook", "kind": "webhook",
                                                           "url": "https://example.com/hook"}, format="json").json()
    assert len(created["secret"]) >= 32
    assert "secret" not in alice_client.get(f"/api/v1/alarms/channels/{created['id']}").json()


@pytest.fixture
def alarms(user, other_user):
    """Alice: a critical open alarm on meter-a and a cleared warning on meter-b; Bob: one of his own."""
    for owner, sensor_id in ((user, "meter-a"), (user, "meter-b"), (other_user, "meter-bob")):
        sensor, _ = sensor_make(owner=owner, id=sensor_id, device_type="energy_meter")
        severity = "warning" if sensor_id == "meter-b" else "critical"
        rule_make(owner=owner, sensor=sensor, condition="above", field="power", threshold=100, severity=severity)
        readings_evaluate(metrics=[metric_row(sensor_id, 0, "power", 500)])
    readings_evaluate(metrics=[metric_row("meter-b", 1, "power", 50)])
    return {alarm.sensor_id: alarm for alarm in Alarm.objects.all()}


def test_alarms_are_listed_newest_first_and_filtered(alice_client, alarms):
    listed = alice_client.get("/api/v1/alarms").json()
    assert [alarm["sensor"] for alarm in listed["results"]] == ["meter-b", "meter-a"]
    assert [a["sensor"] for a in alice_client.get("/api/v1/alarms", {"active": "true"}).json()["results"]] == [
        "meter-a"]
    assert [a["sensor"] for a in alice_client.get("/api/v1/alarms", {"severity": "warning"}).json()["results"]] == [
        "meter-b"]
    assert [a["sensor"] for a in alice_client.get("/api/v1/alarms", {"sensor": "meter-a"}).json()["results"]] == [
        "meter-a"]
    ApiResourceBase.assert_error_shape(alice_client.get("/api/v1/alarms", {"severity": "dire"}), status=400,
                                       field="severity")


def test_alarm_pages_follow_the_cursor(alice_client, alarms):
    first = alice_client.get("/api/v1/alarms", {"page_size": 1}).json()
    second = alice_client.get(first["next"]).json()
    assert [first["results"][0]["sensor"], second["results"][0]["sensor"]] == ["meter-b", "meter-a"]
    assert second["next"] is None


def test_acknowledge_then_clear_with_the_history(alice_client, user, alarms):
    alarm = alarms["meter-a"]
    acknowledged = alice_client.post(f"/api/v1/alarms/{alarm.pk}/acknowledge", {"note": "on my way"},
                                     format="json").json()
    assert (acknowledged["state"], acknowledged["acknowledged_by"]) == ("acknowledged", "alice")
    again = alice_client.post(f"/api/v1/alarms/{alarm.pk}/acknowledge", {}, format="json")
    ApiResourceBase.assert_error_shape(again, status=409, field="state")
    cleared = alice_client.post(f"/api/v1/alarms/{alarm.pk}/clear", format="json").json()
    assert (cleared["state"], cleared["cleared_by"]) == ("cleared", "alice")
    history = alice_client.get(f"/api/v1/alarms/{alarm.pk}/history").json()
    assert [(step["kind"], step["by"]) for step in history] == [
        ("raised", None), ("acknowledged", "alice"), ("cleared", "alice")]
    assert history[1]["note"] == "on my way"


@pytest.mark.parametrize("method, suffix", [("get", ""), ("post", "/acknowledge"), ("post", "/clear"),
                                            ("get", "/history")])
def test_another_users_alarm_is_unknown_on_every_endpoint(alice_client, alarms, method, suffix):
    theirs = alarms["meter-bob"]
    response = getattr(alice_client, method)(f"/api/v1/alarms/{theirs.pk}{suffix}", format="json")
    ApiResourceBase.assert_error_shape(response, status=404)
    theirs.refresh_from_db()
    assert theirs.state == AlarmState.ACTIVE
    listed = alice_client.get("/api/v1/alarms").json()["results"]
    assert theirs.pk not in [alarm["id"] for alarm in listed]


def test_staff_see_and_acknowledge_everyone_s_alarms(client_for, staff_user, alarms):
    staff = client_for(staff_user)
    assert {alarm["sensor"] for alarm in staff.get("/api/v1/alarms").json()["results"]} == set(alarms)
    assert staff.post(f"/api/v1/alarms/{alarms['meter-bob'].pk}/acknowledge", format="json").status_code == 200


def test_deliveries_are_listed_for_their_owner_only(alice_client, bob_client, user, other_user, alarms):
    from alerts.models import AlarmEvent, NotificationDelivery

    hook = channel_create(owner=user, name="Hook", kind="webhook", url="http://127.0.0.1:9/")
    event = AlarmEvent.objects.filter(alarm=alarms["meter-a"]).first()
    NotificationDelivery.objects.create(event=event, channel=hook, owner=user, payload={}, status="dead", attempts=5)
    dead = NotificationDelivery.objects.get()
    assert [d["status"] for d in alice_client.get("/api/v1/alarms/deliveries", {"status": "dead"}).json()[
        "results"]] == ["dead"]
    assert alice_client.get(f"/api/v1/alarms/deliveries/{dead.pk}").json()["attempts"] == 5
    assert bob_client.get("/api/v1/alarms/deliveries").json()["results"] == []
    ApiResourceBase.assert_error_shape(bob_client.get(f"/api/v1/alarms/deliveries/{dead.pk}"), status=404)


def test_acknowledging_twice_by_service_is_refused(user, alarms):
    from alerts.services import AlarmTransitionInvalid

    alarm_acknowledge(alarm=alarms["meter-a"], user=user)
    with pytest.raises(AlarmTransitionInvalid):
        alarm_acknowledge(alarm=alarms["meter-a"], user=user)
