"""Each decoder against published vectors and against bytes built by hand from the format."""

from __future__ import annotations

import math
import struct

import pytest

from transports.ble.decoders import PROFILES, STANDARD_GRAVITY, DecodeError, UnknownProfile, decoder_for
from transports.ble.decoders import movesense_imu6, sensorium_diy, sig_energy, thingy52, witmotion_bwt901
from transports.ble.decoders.battery import battery_level

G = STANDARD_GRAVITY


def approx_vector(expected, *, abs=1e-4):
    return pytest.approx(expected, abs=abs)


def in_g(vector):
    return tuple(v / G for v in vector)


# ---------------------------------------------------------------- Thingy:52


def test_thingy52_published_vector():
    gyro = struct.pack("<3h", 64, -64, 32)  # 2, -2, 1 °/s
    compass = struct.pack("<3h", 352, -64, 656)  # 22, -4, 41 µT
    (sample,) = decoder_for("thingy52").decode(thingy52.RAW_DATA, bytes.fromhex("FAFFF4FFF603") + gyro + compass)
    assert in_g(sample.acceleration) == approx_vector((-0.00586, -0.01172, 0.99023), abs=1e-5)
    assert sample.gyroscope == (2.0, -2.0, 1.0)
    assert sample.magnetometer == (22.0, -4.0, 41.0)
    assert sample.device_time_us is None and sample.sequence is None


def test_thingy52_extremes_of_the_fixed_point_range():
    data = struct.pack("<9h", -32768, 32767, 0, 32767, -32768, 0, 16, -16, 0)
    (sample,) = decoder_for("thingy52").decode(thingy52.RAW_DATA, data)
    assert in_g(sample.acceleration) == approx_vector((-32.0, 31.999, 0.0), abs=1e-3)
    assert sample.gyroscope == pytest.approx((1023.96875, -1024.0, 0.0))
    assert sample.magnetometer == (1.0, -1.0, 0.0)


@pytest.mark.parametrize("length", [0, 17, 19, 36])
def test_thingy52_rejects_other_lengths(length):
    with pytest.raises(DecodeError, match="18 bytes"):
        decoder_for("thingy52").decode(thingy52.RAW_DATA, bytes(length))


# ---------------------------------------------------------------- WitMotion


def witmotion_frame(acc_g=(0.0, 0.0, 1.0), gyro=(0.0, 0.0, 0.0), angles=(0.0, 0.0, 0.0)) -> bytes:
    raw = [round(a / 16 * 32768) for a in acc_g] + [round(w / 2000 * 32768) for w in gyro] + [round(x / 180 * 32768) for x in angles]
    return bytes([0x55, 0x61]) + struct.pack("<9h", *raw)


def test_witmotion_published_vector():
    frame = bytes.fromhex("556135FF59FF0A08") + struct.pack("<3h", 1638, -1638, 0) + struct.pack("<3h", 16384, -8192, 0)
    (sample,) = decoder_for("witmotion_bwt901").decode(witmotion_bwt901.NOTIFY, frame)
    assert in_g(sample.acceleration) == approx_vector((-0.0991, -0.0815, 1.0049))
    assert sample.gyroscope == approx_vector((99.98, -99.98, 0.0), abs=0.01)
    assert sample.metrics == {"angle_roll": 90.0, "angle_pitch": -45.0, "angle_yaw": 0.0}


def test_witmotion_frames_split_across_notifications():
    frames = witmotion_frame((0.1, 0, 1)) + witmotion_frame((0.2, 0, 1)) + witmotion_frame((0.3, 0, 1))
    decoder = decoder_for("witmotion_bwt901")
    samples = []
    for start in range(0, len(frames), 7):  # 7-byte notifications cut every frame apart
        samples += decoder.decode(witmotion_bwt901.NOTIFY, frames[start : start + 7])
    assert [round(s.acceleration[0] / G, 3) for s in samples] == [0.1, 0.2, 0.3]


def test_witmotion_header_split_between_0x55_and_type_byte():
    frame = witmotion_frame((0.5, 0, 1))
    decoder = decoder_for("witmotion_bwt901")
    assert decoder.decode(witmotion_bwt901.NOTIFY, frame[:1]) == []
    (sample,) = decoder.decode(witmotion_bwt901.NOTIFY, frame[1:])
    assert round(sample.acceleration[0] / G, 3) == 0.5


def test_witmotion_several_frames_in_one_notification():
    data = witmotion_frame((0.1, 0, 1)) + witmotion_frame((0.2, 0, 1))
    samples = decoder_for("witmotion_bwt901").decode(witmotion_bwt901.NOTIFY, data)
    assert len(samples) == 2


def test_witmotion_register_frames_are_skipped_quietly():
    register = bytes([0x55, 0x71]) + bytes(18)
    samples = decoder_for("witmotion_bwt901").decode(witmotion_bwt901.NOTIFY, register + witmotion_frame())
    assert len(samples) == 1


def test_witmotion_resynchronises_after_garbage_and_keeps_the_good_frame():
    decoder = decoder_for("witmotion_bwt901")
    with pytest.raises(DecodeError, match="before a frame header") as error:
        decoder.decode(witmotion_bwt901.NOTIFY, b"\x01\x02\x03" + witmotion_frame((0.25, 0, 1)))
    assert [round(s.acceleration[0] / G, 3) for s in error.value.samples] == [0.25]
    assert len(decoder.decode(witmotion_bwt901.NOTIFY, witmotion_frame())) == 1


def test_witmotion_rejects_a_short_frame_cut_by_a_lost_packet():
    decoder = decoder_for("witmotion_bwt901")
    truncated = witmotion_frame((0.9, 0, 1))[:12]
    assert decoder.decode(witmotion_bwt901.NOTIFY, truncated) == []  # could still be completed
    with pytest.raises(DecodeError, match="short frame") as error:
        decoder.decode(witmotion_bwt901.NOTIFY, witmotion_frame((0.4, 0, 1)) + witmotion_frame((0.5, 0, 1)))
    assert [round(s.acceleration[0] / G, 3) for s in error.value.samples] == [0.4, 0.5]


# ---------------------------------------------------------------- Movesense


def movesense_data(timestamp_ms, accelerations, gyroscopes, *, kind=movesense_imu6.RESPONSE_DATA, reference=99) -> bytes:
    body = struct.pack("<I", timestamp_ms)
    body += b"".join(struct.pack("<3f", *a) for a in accelerations)
    body += b"".join(struct.pack("<3f", *g) for g in gyroscopes)
    return bytes([kind, reference]) + body


def test_movesense_subscribes_to_imu6_at_52_hz():
    decoder = decoder_for("movesense_imu6")
    assert decoder.start_commands() == [(movesense_imu6.COMMAND, b"\x01\x63/Meas/IMU6/52")]
    assert decoder.stop_commands() == [(movesense_imu6.COMMAND, b"\x02\x63")]


def test_movesense_data_packet_with_four_samples():
    accelerations = [(0.1 * i, -0.5, 9.75) for i in range(4)]
    gyroscopes = [(1.5, -2.25, float(i)) for i in range(4)]
    packet = movesense_data(123_456, accelerations, gyroscopes)
    samples = decoder_for("movesense_imu6").decode(movesense_imu6.NOTIFY, packet)
    assert [s.acceleration for s in samples] == [pytest.approx(a) for a in accelerations]
    assert [s.gyroscope for s in samples] == [pytest.approx(g) for g in gyroscopes]
    assert [s.device_time_us for s in samples] == [123_456_000, 123_475_231, 123_494_462, 123_513_692]


def test_movesense_data_part2_completes_a_long_packet():
    accelerations = [(float(i), 0.0, 9.8) for i in range(8)]
    gyroscopes = [(0.0, float(i), 0.0) for i in range(8)]
    packet = movesense_data(5000, accelerations, gyroscopes)
    first, rest = packet[:155], bytes([movesense_imu6.RESPONSE_DATA_PART2, 99]) + packet[155:]
    decoder = decoder_for("movesense_imu6")
    assert decoder.decode(movesense_imu6.NOTIFY, first) == []
    samples = decoder.decode(movesense_imu6.NOTIFY, rest)
    assert [s.acceleration[0] for s in samples] == [float(i) for i in range(8)]
    assert [s.gyroscope[1] for s in samples] == [float(i) for i in range(8)]


def test_movesense_command_results_carry_no_samples():
    assert decoder_for("movesense_imu6").decode(movesense_imu6.NOTIFY, bytes([1, 99, 200, 0])) == []


@pytest.mark.parametrize(
    "packet, message",
    [
        (bytes([3, 99, 0, 0]), "without a preceding DATA"),
        (movesense_data(1, [(0, 0, 0)], [(0, 0, 0)], reference=7), "unknown reference"),
        (bytes([9, 99, 1, 2]), "unknown GSP response type"),
        (b"\x02", "no header"),
        (movesense_data(1, [(math.nan, 0, 0)], [(0, 0, 0)]), "non-finite"),
    ],
)
def test_movesense_rejects(packet, message):
    with pytest.raises(DecodeError, match=message):
        decoder_for("movesense_imu6").decode(movesense_imu6.NOTIFY, packet)


def test_movesense_device_clock_unwraps_past_2_to_the_32_ms():
    decoder = decoder_for("movesense_imu6")
    (before,) = decoder.decode(movesense_imu6.NOTIFY, movesense_data(2**32 - 10, [(0, 0, 0)], [(0, 0, 0)]))
    (after,) = decoder.decode(movesense_imu6.NOTIFY, movesense_data(10, [(0, 0, 0)], [(0, 0, 0)]))
    assert after.device_time_us - before.device_time_us == 20_000


# ---------------------------------------------------------------- Sensorium DIY


def diy_record(sequence, device_us, acc=(0.0, 0.0, 9.81), gyro=(0.5, 0.0, 0.0)) -> bytes:
    return struct.pack("<HI6f", sequence, device_us, *acc, *gyro)


def test_diy_documented_example():
    data = bytes.fromhex("0700 40420f00 00000000 00000000 c3f51c41 0000003f 00000000 00000000")
    (sample,) = decoder_for("sensorium_diy").decode(sensorium_diy.MOTION, data)
    assert sample.sequence == 7
    assert sample.device_time_us == 1_000_000
    assert sample.acceleration == pytest.approx((0.0, 0.0, 9.81))
    assert sample.gyroscope == (0.5, 0.0, 0.0)


def test_diy_several_records_in_one_notification():
    data = b"".join(diy_record(s, 1000 * s, acc=(float(s), 0, 9.8)) for s in (10, 11, 12))
    samples = decoder_for("sensorium_diy").decode(sensorium_diy.MOTION, data)
    assert [(s.sequence, s.device_time_us, s.acceleration[0]) for s in samples] == [(10, 10_000, 10.0), (11, 11_000, 11.0), (12, 12_000, 12.0)]


@pytest.mark.parametrize("length", [0, 29, 31, 59])
def test_diy_rejects_partial_records(length):
    with pytest.raises(DecodeError, match="30-byte records"):
        decoder_for("sensorium_diy").decode(sensorium_diy.MOTION, bytes(length))


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_diy_rejects_non_finite_numbers(bad):
    with pytest.raises(DecodeError, match="non-finite"):
        decoder_for("sensorium_diy").decode(sensorium_diy.MOTION, diy_record(1, 1, gyro=(0, bad, 0)))


def test_diy_device_time_unwraps():
    decoder = decoder_for("sensorium_diy")
    (first,) = decoder.decode(sensorium_diy.MOTION, diy_record(1, 2**32 - 5_000))
    (second,) = decoder.decode(sensorium_diy.MOTION, diy_record(2, 5_000))
    assert second.device_time_us - first.device_time_us == 10_000


# ---------------------------------------------------------------- SIG energy


def test_sig_energy_uuids_are_the_assigned_numbers():
    assert sig_energy.VOLTAGE == "00002b18-0000-1000-8000-00805f9b34fb"
    assert sig_energy.ELECTRIC_CURRENT == "00002aee-0000-1000-8000-00805f9b34fb"
    assert sig_energy.POWER == "00002b05-0000-1000-8000-00805f9b34fb"
    assert sig_energy.ENERGY == "00002af2-0000-1000-8000-00805f9b34fb"


@pytest.mark.parametrize(
    "characteristic, data, metrics",
    [
        (sig_energy.VOLTAGE, (230 * 64).to_bytes(2, "little"), {"voltage": 230.0}),
        (sig_energy.VOLTAGE, (3).to_bytes(2, "little"), {"voltage": 0.046875}),
        (sig_energy.ELECTRIC_CURRENT, (120).to_bytes(2, "little"), {"current": 1.2}),
        (sig_energy.POWER, bytes([0xC8, 0x0A, 0x00]), {"power": 276.0}),
        (sig_energy.POWER, (1_000_000).to_bytes(3, "little"), {"power": 100_000.0}),
        (sig_energy.ENERGY, (300).to_bytes(3, "little"), {"energy_total_kwh": 300.0}),
        (sig_energy.ENERGY_32, (1500).to_bytes(4, "little"), {"energy_total_kwh": 1.5}),
    ],
)
def test_sig_energy_scaling(characteristic, data, metrics):
    (sample,) = decoder_for("sig_energy").decode(characteristic, data)
    assert sample.metrics == pytest.approx(metrics)
    assert sample.acceleration is None


@pytest.mark.parametrize(
    "characteristic, data",
    [(sig_energy.VOLTAGE, b"\xff\xff"), (sig_energy.POWER, b"\xfe\xff\xff"), (sig_energy.ENERGY, b"\xff\xff\xff")],
)
def test_sig_energy_value_not_known_yields_nothing(characteristic, data):
    assert decoder_for("sig_energy").decode(characteristic, data) == []


def test_sig_energy_rejects_wrong_length_and_foreign_characteristics():
    decoder = decoder_for("sig_energy")
    with pytest.raises(DecodeError, match="voltage is 2 bytes"):
        decoder.decode(sig_energy.VOLTAGE, b"\x01\x02\x03")
    with pytest.raises(DecodeError, match="not an energy characteristic"):
        decoder.decode(thingy52.RAW_DATA, b"\x01\x02")


# ---------------------------------------------------------------- battery and registry


def test_battery_level():
    assert battery_level(bytes([87])) == 87
    with pytest.raises(DecodeError):
        battery_level(bytes([101]))
    with pytest.raises(DecodeError):
        battery_level(b"")


def test_every_profile_has_a_decoder_and_unknown_ones_say_which_exist():
    assert set(PROFILES) == {"thingy52", "witmotion_bwt901", "movesense_imu6", "sensorium_diy", "sig_energy"}
    with pytest.raises(UnknownProfile) as error:
        decoder_for("polar_h10")
    assert "polar_h10" in str(error.value) and "thingy52" in str(error.value)


def test_each_connection_gets_its_own_decoder_state():
    first, second = decoder_for("witmotion_bwt901"), decoder_for("witmotion_bwt901")
    frame = witmotion_frame()
    assert first.decode(witmotion_bwt901.NOTIFY, frame[:10]) == []
    assert second.decode(witmotion_bwt901.NOTIFY, frame) != []
