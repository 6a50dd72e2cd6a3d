import pytest
from django.contrib import admin
from django.urls import reverse

from sensors.models import Sensor
from tests.factories import sensor_make
from users.models import User

ADMIN_MODELS = sorted(admin.site._registry, key=lambda model: model._meta.label)


def admin_url(model, view: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


@pytest.fixture
def staff_client(client, staff_user):
    client.force_login(staff_user)
    return client


@pytest.mark.parametrize("model", ADMIN_MODELS, ids=lambda model: model._meta.label)
def test_every_admin_list_and_add_page_loads_for_staff(staff_client, staff_user, rf, model):
    assert staff_client.get(admin_url(model, "changelist")).status_code == 200
    request = rf.get("/")
    request.user = staff_user
    if admin.site._registry[model].has_add_permission(request):
        assert staff_client.get(admin_url(model, "add")).status_code == 200


@pytest.mark.parametrize("model", ADMIN_MODELS, ids=lambda model: model._meta.label)
def test_every_admin_page_redirects_anonymous_to_sign_in(client, db, model):
    response = client.get(admin_url(model, "changelist"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_a_non_staff_user_is_sent_to_sign_in(client, user):
    client.force_login(user)
    response = client.get(admin_url(Sensor, "changelist"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("admin:login"))


def test_sensor_change_page_and_list_columns_filters_search(staff_client, user):
    sensor, _ = sensor_make(owner=user, id="imu-admin", name="Forklift motion")
    sensor_make(owner=user, id="meter-admin", name="Panel", device_type="energy_meter")
    assert staff_client.get(admin_url(Sensor, "change", sensor.pk)).status_code == 200
    page = staff_client.get(admin_url(Sensor, "changelist"), {"q": "forklift"}).content.decode()
    assert "imu-admin" in page and "meter-admin" not in page
    filtered = staff_client.get(admin_url(Sensor, "changelist"), {"device_type__exact": "energy_meter"})
    assert "meter-admin" in filtered.content.decode() and "imu-admin" not in filtered.content.decode()
    for column in ("Device type", "Status", "Owner", "MAC address", "Last seen"):
        assert column in page


def test_activate_and_deactivate_actions(staff_client, user):
    first, _ = sensor_make(owner=user)
    second, _ = sensor_make(owner=user)
    url = admin_url(Sensor, "changelist")
    staff_client.post(url, {"action": "deactivate", "_selected_action": [first.pk, second.pk]})
    assert set(Sensor.objects.values_list("status", flat=True)) == {"inactive"}
    staff_client.post(url, {"action": "activate", "_selected_action": [first.pk]})
    first.refresh_from_db(), second.refresh_from_db()
    assert (first.status, second.status) == ("active", "inactive")


def test_adding_a_sensor_in_the_admin_shows_its_token_once_and_normalises_the_mac(staff_client, user):
    response = staff_client.post(admin_url(Sensor, "add"), {
        "id": "adm-1", "name": "From admin", "device_type": "imu", "mac_address": "aa-bb-cc-dd-ee-01",
        "ble_profile": "", "status": "active", "owner": user.pk,
    }, follow=True)
    assert response.status_code == 200
    sensor = Sensor.objects.get(pk="adm-1")
    assert sensor.mac_address == "AA:BB:CC:DD:EE:01" and sensor.token_hash
    messages = [str(message) for message in response.context["messages"]]
    assert any("Device token for adm-1" in message for message in messages)


def test_admin_refuses_a_bad_or_taken_mac_on_the_field(staff_client, user):
    sensor_make(owner=user, mac_address="AA:BB:CC:DD:EE:01")
    for mac in ("nonsense", "aabbccddee01"):
        response = staff_client.post(admin_url(Sensor, "add"), {
            "id": "adm-2", "name": "x", "device_type": "imu", "mac_address": mac, "ble_profile": "",
            "status": "active", "owner": user.pk,
        })
        assert response.status_code == 200
        assert "mac_address" in response.context["adminform"].form.errors, mac
    assert not Sensor.objects.filter(pk="adm-2").exists()


def test_user_admin_shows_the_profile_inline(staff_client, user):
    user.profile.display_name = "Alice Inline"
    user.profile.save()
    page = staff_client.get(admin_url(User, "change", user.pk)).content.decode()
    assert "Alice Inline" in page and 'name="profile-0-timezone"' in page
    assert "Alice Inline" in staff_client.get(admin_url(User, "changelist")).content.decode()


def test_adding_a_user_in_the_admin_gives_them_a_profile(staff_client):
    response = staff_client.post(admin_url(User, "add"), {
        "username": "carol", "password1": "a-long-enough-pass-123", "password2": "a-long-enough-pass-123",
        "usable_password": "true",
    })
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert User.objects.get(username="carol").profile.timezone == "UTC"
