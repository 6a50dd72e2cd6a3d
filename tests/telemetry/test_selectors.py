"""telemetry.selectors.readings_query_build: the readings API's parameters as a query."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError

from telemetry import selectors
from tests.telemetry.readings import T0

pytestmark = pytest.mark.django_db

PARAMS = {"start": T0, "end": T0 + timedelta(hours=1), "order": "newest", "format": "json"}


@pytest.fixture
def imu(make_sensor, user):
    return make_sensor(owner=user, device_type="imu")[0]


@pytest.fixture
def meter(make_sensor, user):
    return make_sensor(owner=user, device_type="energy_meter")[0]


def test_an_imus_fields_choose_its_columns_in_table_order(imu):
    query, chosen = selectors.readings_query_build(sensor=imu, params={**PARAMS, "fields": ["battery_level", "gyroscope"]},
                                                   given={"fields"})
    assert query.kind == "imu" and not chosen
    assert query.columns == ("gyro_x", "gyro_y", "gyro_z", "battery_level")


def test_a_meters_fields_are_metric_names(meter):
    query, _ = selectors.readings_query_build(sensor=meter, params={**PARAMS, "fields": ["voltage"]}, given={"fields"})
    assert (query.kind, query.names) == ("metric", ("voltage",))
    assert selectors.reading_kind(sensor=meter) == "metric"


@pytest.mark.parametrize(("params", "field"), [
    ({"metric": ["voltage"], "kind": "imu"}, "metric"),
    ({"fields": ["colour"]}, "fields"),
    ({"cursor": "not-a-cursor"}, "cursor"),
])
def test_what_does_not_fit_the_sensor_names_the_parameter(imu, params, field):
    with pytest.raises(ValidationError) as raised:
        selectors.readings_query_build(sensor=imu, params={**PARAMS, **params}, given=set(params))
    assert list(raised.value.message_dict) == [field]


def test_a_cursor_keeps_its_first_pages_order_and_bucket(imu):
    cursor = selectors.cursor_encode(timestamp=T0, name=None, order="oldest", bucket="1m")
    query, _ = selectors.readings_query_build(sensor=imu, params={**PARAMS, "cursor": cursor}, given={"cursor"})
    assert (query.order, query.bucket, query.cursor.timestamp) == ("oldest", "1m", T0)
    with pytest.raises(ValidationError) as raised:
        selectors.readings_query_build(sensor=imu, params={**PARAMS, "cursor": cursor, "order": "newest"},
                                       given={"cursor", "order"})
    assert list(raised.value.message_dict) == ["cursor"]
