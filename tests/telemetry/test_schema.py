"""The reading schema: the quick path for well-formed motion readings and the detailed
path must agree on every verdict."""

from datetime import datetime, timedelta, timezone

import msgspec

from telemetry.schema import readings_decode, readings_validate

NOW = datetime(2026, 11, 30, 12, 0, 0, tzinfo=timezone.utc)


def motion(sensor_id: str, at, **fields) -> dict:
    reading = {"sensor_id": sensor_id, "timestamp": at, "acceleration": {"x": 0.5, "y": -0.25, "z": 9.81},
               "gyroscope": {"x": 1, "y": 0.0, "z": -0.3}, "battery_level": 80, "signal_strength": -60}
    reading.update(fields)
    return reading


def test_epoch_milliseconds_and_iso_timestamps_give_the_same_rows_and_wire():
    moments = [NOW - timedelta(seconds=10, milliseconds=7 * i) for i in range(3)]
    as_epoch = readings_validate([motion("imu-1", int(m.timestamp() * 1000)) for m in moments], now=NOW)
    as_iso = readings_validate([motion("imu-1", m.isoformat().replace("+00:00", "Z")) for m in moments], now=NOW)
    assert as_epoch.imu == as_iso.imu
    assert as_epoch.accepted == as_iso.accepted
    assert msgspec.to_builtins(as_epoch.accepted[1][2]) == {
        "sensor_id": "imu-1", "timestamp": "2026-11-30T11:59:49.993Z",
        "acceleration": {"x": 0.5, "y": -0.25, "z": 9.81}, "gyroscope": {"x": 1.0, "y": 0.0, "z": -0.3},
        "battery_level": 80, "signal_strength": -60}


def test_bad_readings_among_good_ones_are_each_rejected():
    ms = int((NOW - timedelta(minutes=1)).timestamp() * 1000)
    readings = [
        motion("imu-1", ms),                                                   # 0 good
        motion("imu-1", ms + 1, battery_level=101),                            # 1
        motion("imu-1", ms + 2, signal_strength=-151),                         # 2
        motion("imu-1", ms + 10 * 60 * 1000),                                  # 3 future
        motion("imu-1", ms + 4, acceleration={"x": float("nan"), "y": 0, "z": 0}),  # 4
        motion("imu-1", ms + 5, gyroscope={"x": 0, "y": float("inf"), "z": 0}),     # 5
        motion("imu-1", 946_684_799_999),                                      # 6 before 2000
        motion("imu-1", ms + 7, metrics={"voltage": 1.0}),                     # 7 both kinds
        motion("IMU 1!", ms + 8),                                              # 8 bad id
        motion("imu-1", ms + 9),                                               # 9 good
    ]
    batch = readings_validate(readings, now=NOW)
    assert [index for index, _, _ in batch.accepted] == [0, 9]
    reasons = {entry["index"]: set(entry["errors"]) for entry in batch.rejected}
    assert reasons == {1: {"battery_level"}, 2: {"signal_strength"}, 3: {"timestamp"}, 4: {"acceleration"},
                       5: {"gyroscope"}, 6: {"timestamp"}, 7: {"reading"}, 8: {"sensor_id"}}


def test_request_bytes_decode_straight_into_typed_readings_in_every_accepted_shape():
    one = b'{"sensor_id": "imu-1", "timestamp": 1795341600123, "metrics": {"voltage": 1}}'
    assert len(readings_decode(one)) == 1
    assert len(readings_decode(b"[" + one + b"," + one + b"]")) == 2
    assert len(readings_decode(b'{"readings": [' + one + b"]}")) == 1
    assert readings_decode(b'{"readings": [{"sensor_id": 5}]}') is None  # detailed path reports it
