"""A command past its time to live: shown expired on read, recorded expired by the sweep."""

from datetime import timedelta

import pytest
from django.utils import timezone

from sensors.models import Command, CommandStatus
from sensors.selectors import command_list
from sensors.services import command_create, commands_expire

pytestmark = pytest.mark.django_db


@pytest.fixture
def overdue(make_sensor, user):
    sensor, _ = make_sensor(owner=user)
    command = command_create(sensor=sensor, name="reboot", params={}, ttl_seconds=5, created_by=user)
    Command.objects.filter(pk=command.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    return Command.objects.get(pk=command.pk)


def test_listing_shows_an_overdue_command_expired_without_writing(alice_client, overdue):
    listed = alice_client.get(f"/api/v1/sensors/{overdue.sensor_id}/commands").json()["results"]
    assert (listed[0]["status"], listed[0]["completed_at"]) == ("expired", overdue.expires_at.isoformat().replace("+00:00", "Z"))
    stored = Command.objects.get(pk=overdue.pk)
    assert (stored.status, stored.completed_at) == (CommandStatus.QUEUED, None)


def test_the_sweep_records_what_the_listing_showed(overdue):
    shown = command_list(sensor=overdue.sensor)[0]
    assert commands_expire() == 1
    stored = Command.objects.get(pk=overdue.pk)
    assert (stored.status, stored.completed_at) == (shown.status, shown.completed_at)
