"""From packets to SPEC readings: timestamps, device clocks, gaps, battery and signal strength."""

from __future__ import annotations

import random
import struct

import pytest

from transports.ble.decoders import movesense_imu6, sensorium_diy, sig_energy, thingy52
from transports.ble.decoders.battery import BATTERY_LEVEL
from transports.ble.listener import backoff_delay
from transports.ble.pipeline import Counters, SensorStream, Target, iso_timestamp

T0 = 1_795_341_600.0  # 2026-11-22T10:00:00Z


def session_for(profile: str, *, rssi=None):
    counters = Counters()
    stream = SensorStream(Target("imu-001", "AA:BB:CC:DD:EE:FF", profile), counters)
    return stream.open_session(rssi=rssi), counters


def thingy(acc_raw=(0, 0, 1024)) -> bytes:
    return struct.pack("<9h", *acc_raw, 0, 0, 0, 0, 0, 0)


def diy(sequence, device_us, x=0.0) -> bytes:
    return struct.pack("<HI6f", sequence, device_us, x, 0.0, 9.81, 0.0, 0.0, 0.0)


def test_iso_timestamp_is_utc_with_milliseconds_and_z():
    assert iso_timestamp(1_795_341_600_123) == "2026-11-22T10:00:00.123Z"


def test_motion_reading_in_the_wire_format():
    session, counters = session_for("thingy52", rssi=-61)
    session.process(BATTERY_LEVEL, T0, bytes([87]))
    readings = session.process(thingy52.RAW_DATA, T0 + 0.123, thingy())
    motion = readings[0]
    assert motion == {
        "sensor_id": "imu-001",
        "timestamp": "2026-11-22T10:00:00.123Z",
        "acceleration": {"x": 0.0, "y": 0.0, "z": 9.80665},
        "gyroscope": {"x": 0.0, "y": 0.0, "z": 0.0},
        "battery_level": 87,
        "signal_strength": -61,
    }
    assert readings[1]["metrics"] == {"magnetometer_x": 0.0, "magnetometer_y": 0.0, "magnetometer_z": 0.0}
    assert counters.packets == 2 and counters.decoded == 2


def test_metric_device_reports_battery_as_a_metric_and_link_state_on_every_reading():
    session, _ = session_for("sig_energy", rssi=-70)
    assert session.process(BATTERY_LEVEL, T0, bytes([55])) == [
        {"sensor_id": "imu-001", "timestamp": "2026-11-22T10:00:00.000Z", "metrics": {"battery_level": 55},
         "battery_level": 55, "signal_strength": -70}
    ]
    (reading,) = session.process(sig_energy.VOLTAGE, T0 + 1, (230 * 64).to_bytes(2, "little"))
    assert reading == {"sensor_id": "imu-001", "timestamp": "2026-11-22T10:00:01.000Z", "metrics": {"voltage": 230.0},
                       "battery_level": 55, "signal_strength": -70}


def test_magnetometer_metrics_of_a_motion_device_leave_link_state_to_the_motion_reading():
    session, _ = session_for("thingy52", rssi=-61)
    session.process(BATTERY_LEVEL, T0, bytes([87]))
    motion, magnetometer = session.process(thingy52.RAW_DATA, T0 + 0.1, thingy())
    assert (motion["battery_level"], motion["signal_strength"]) == (87, -61)
    assert "battery_level" not in magnetometer and "signal_strength" not in magnetometer


def test_samples_arriving_together_never_share_a_millisecond():
    session, _ = session_for("thingy52")
    first = session.process(thingy52.RAW_DATA, T0, thingy())[0]
    second = session.process(thingy52.RAW_DATA, T0, thingy())[0]
    earlier = session.process(thingy52.RAW_DATA, T0 - 5, thingy())[0]
    assert [r["timestamp"] for r in (first, second, earlier)] == [
        "2026-11-22T10:00:00.000Z",
        "2026-11-22T10:00:00.001Z",
        "2026-11-22T10:00:00.002Z",
    ]


def test_device_clock_spaces_samples_and_is_anchored_to_arrival():
    session, _ = session_for("sensorium_diy")
    batch = diy(1, 5_000_000) + diy(2, 5_020_000) + diy(3, 5_040_000)
    readings = session.process(sensorium_diy.MOTION, T0 + 0.040, batch)
    assert [r["timestamp"] for r in readings] == [
        "2026-11-22T10:00:00.000Z",
        "2026-11-22T10:00:00.020Z",
        "2026-11-22T10:00:00.040Z",
    ]
    # Arrival jitter does not move samples: the device clock rules while it stays plausible.
    (later,) = session.process(sensorium_diy.MOTION, T0 + 0.095, diy(4, 5_060_000))
    assert later["timestamp"] == "2026-11-22T10:00:00.060Z"


def test_device_clock_is_re_anchored_when_it_drifts_too_far():
    session, _ = session_for("sensorium_diy")
    session.process(sensorium_diy.MOTION, T0, diy(1, 0))
    (lagging,) = session.process(sensorium_diy.MOTION, T0 + 10, diy(2, 1_000_000))  # device says 1 s, host 10 s
    assert lagging["timestamp"] == "2026-11-22T10:00:10.000Z"
    (ahead,) = session.process(sensorium_diy.MOTION, T0 + 10.5, diy(3, 2_000_000))  # would be in the future
    assert ahead["timestamp"] == "2026-11-22T10:00:10.500Z"


def test_sequence_gaps_are_counted_per_sensor_and_wrap_is_not_a_gap():
    session, counters = session_for("sensorium_diy")
    for sequence, device_us in [(65534, 0), (65535, 20_000), (0, 40_000), (1, 60_000), (5, 140_000)]:
        session.process(sensorium_diy.MOTION, T0 + device_us / 1e6, diy(sequence, device_us))
    assert counters.gaps == 1
    assert counters.gaps_by_sensor == {"imu-001": 1}


def test_device_time_gaps_are_counted_when_there_is_no_sequence():
    session, counters = session_for("movesense_imu6")

    def packet(ms):
        return bytes([2, 99]) + struct.pack("<I", ms) + struct.pack("<3f", 0, 0, 9.8) + struct.pack("<3f", 0, 0, 0)

    for ms in (1000, 1019, 1038, 1200):
        session.process(movesense_imu6.NOTIFY, T0 + ms / 1000, packet(ms))
    assert counters.gaps == 1


def test_a_new_connection_starts_a_new_decoder_and_gap_detector():
    counters = Counters()
    stream = SensorStream(Target("imu-001", "AA:BB:CC:DD:EE:FF", "sensorium_diy"), counters)
    stream.open_session(rssi=None).process(sensorium_diy.MOTION, T0, diy(100, 0))
    stream.open_session(rssi=None).process(sensorium_diy.MOTION, T0 + 1, diy(7, 0))
    assert counters.gaps == 0


def test_undecodable_packets_are_counted_not_raised():
    session, counters = session_for("thingy52")
    assert session.process(thingy52.RAW_DATA, T0, b"\x01\x02") == []
    assert session.process(BATTERY_LEVEL, T0, bytes([200])) == []
    assert counters.undecodable == 2 and counters.packets == 2 and counters.decoded == 0


def test_samples_recovered_from_a_partly_bad_packet_are_kept():
    session, counters = session_for("witmotion_bwt901")
    frame = bytes([0x55, 0x61]) + struct.pack("<9h", 0, 0, 2048, 0, 0, 0, 0, 0, 0)
    readings = session.process("0000ffe4-0000-1000-8000-00805f9a34fb", T0, b"junk" + frame)
    assert counters.undecodable == 1
    assert readings[0]["acceleration"]["z"] == pytest.approx(9.80665)


def test_backoff_grows_exponentially_with_jitter_and_is_capped():
    rng = random.Random(1)
    for attempt, ceiling in [(0, 1.0), (1, 2.0), (2, 4.0), (5, 32.0), (6, 60.0), (40, 60.0)]:
        delays = [backoff_delay(attempt, base=1.0, cap=60.0, rng=rng) for _ in range(50)]
        assert all(ceiling / 2 <= delay <= ceiling for delay in delays)
        assert len(set(delays)) > 1  # jittered
