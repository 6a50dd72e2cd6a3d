"""Energy meters: the register is stored as `energy_total_kwh`, `energy_kwh` is the energy used
since the previous reading (what the daily totals sum), from real SIG Energy / Energy 32 bytes."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from transports.ble import gateway
from transports.ble.decoders import sig_energy
from transports.ble.energy import EnergyRegisters
from transports.ble.pipeline import Counters, SensorStream, Target
from telemetry.ingest import ColdPathUnavailable
from telemetry.models import MetricReading
from tests.telemetry.readings import metrics_store

START = datetime(2026, 11, 20, 10, 0, tzinfo=timezone.utc)

# Energy 32 (0x2BA8), uint32 little-endian in Wh.
WH_123_456 = bytes.fromhex("40e20100")  # 123 456 Wh = 123.456 kWh
WH_124_377 = bytes.fromhex("d9e50100")  # 124 377 Wh
WH_124_500 = bytes.fromhex("54e60100")  # 124 500 Wh
WH_2_000 = bytes.fromhex("d0070000")  # 2 000 Wh: the meter was reset
WH_2_250 = bytes.fromhex("ca080000")  # 2 250 Wh
# Energy (0x2AF2), uint24 little-endian in kWh.
KWH_300 = bytes.fromhex("2c0100")
KWH_302 = bytes.fromhex("2e0100")


def meter_readings(sensor_id: str, packets: list[tuple[str, bytes]], *, start: datetime = START) -> list[dict]:
    """What the gateway pipeline makes of the packets, one a minute from `start`."""
    session = SensorStream(Target(sensor_id, "AA:BB:CC:DD:EE:01", "sig_energy"), Counters()).open_session(rssi=None)
    readings = []
    for minute, (characteristic, data) in enumerate(packets):
        readings += session.process(characteristic, (start + timedelta(minutes=minute)).timestamp(), data)
    return readings


def energy(readings: list[dict]) -> list[tuple[float, float | None]]:
    return [(r["metrics"]["energy_total_kwh"], r["metrics"].get("energy_kwh")) for r in readings]


def test_the_register_becomes_increments_and_the_first_reading_has_none():
    registers = EnergyRegisters(seed=lambda sensor_id: None)
    readings = meter_readings("meter-1", [(sig_energy.ENERGY_32, WH_123_456), (sig_energy.VOLTAGE, (230 * 64).to_bytes(2, "little")),
                                          (sig_energy.ENERGY_32, WH_124_377), (sig_energy.ENERGY_32, WH_124_500)])
    derived = registers.readings_derive(readings)
    assert derived[1]["metrics"] == {"voltage": 230.0}
    del derived[1]
    assert energy(derived) == [(123.456, None), (124.377, 0.921), (124.5, 0.123)]


def test_the_kwh_register_of_the_energy_characteristic_too():
    registers = EnergyRegisters(seed=lambda sensor_id: None)
    derived = registers.readings_derive(meter_readings("meter-1", [(sig_energy.ENERGY, KWH_300), (sig_energy.ENERGY, KWH_302)]))
    assert energy(derived) == [(300.0, None), (302.0, 2.0)]


def test_a_register_going_back_is_a_reset_counted_from_the_new_value():
    registers = EnergyRegisters(seed=lambda sensor_id: None)
    readings = meter_readings("meter-1", [(sig_energy.ENERGY_32, WH_124_377), (sig_energy.ENERGY_32, WH_2_000),
                                          (sig_energy.ENERGY_32, WH_2_250)])
    assert energy(registers.readings_derive(readings)) == [(124.377, None), (2.0, None), (2.25, 0.25)]
    assert registers.resets == 1


def test_a_register_older_than_the_previous_one_gives_no_increment():
    registers = EnergyRegisters(seed=lambda sensor_id: (START + timedelta(hours=1), 100.0))  # a replay of packets older than the seed
    assert energy(registers.readings_derive(meter_readings("meter-1", [(sig_energy.ENERGY_32, WH_123_456)]))) == [(123.456, None)]


@pytest.mark.django_db
def test_the_gateway_seeds_from_the_stored_register_and_daily_totals_sum_the_increments(make_sensor, user, alice_client):
    meter, _ = make_sensor(owner=user, device_type="energy_meter", ble_profile="sig_energy")
    metrics_store(meter.pk, [(START - timedelta(hours=1), "energy_total_kwh", 123.0)])  # before the gateway restarted
    registers = gateway.energy_registers()
    first = meter_readings(meter.pk, [(sig_energy.ENERGY_32, WH_123_456), (sig_energy.ENERGY_32, WH_124_377)])
    assert gateway.readings_hand_over(first, registers=registers) == 0
    second = meter_readings(meter.pk, [(sig_energy.ENERGY_32, WH_124_500)], start=START + timedelta(minutes=5))
    assert gateway.readings_hand_over(second, registers=registers) == 0

    stored = MetricReading.objects.filter(sensor_id=meter.pk, name="energy_kwh").order_by("timestamp")
    assert [round(value, 6) for value in stored.values_list("value", flat=True)] == [0.456, 0.921, 0.123]
    day = START.date().isoformat()
    body = alice_client.get(f"/api/v1/data/{meter.pk}/daily?metric=energy_kwh&start={day}&end={day}").json()
    assert round(body["days"][0]["total"], 6) == 1.5  # 123.0 → 124.5 kWh


@pytest.mark.django_db
def test_energy_of_a_batch_that_was_not_handed_over_counts_on_the_next_one(make_sensor, user, monkeypatch):
    meter, _ = make_sensor(owner=user, device_type="energy_meter", ble_profile="sig_energy")
    registers = gateway.energy_registers()
    readings = meter_readings(meter.pk, [(sig_energy.ENERGY_32, WH_123_456), (sig_energy.ENERGY_32, WH_124_377),
                                         (sig_energy.ENERGY_32, WH_124_500)])
    gateway.readings_hand_over(readings[:1], registers=registers)
    accept = gateway.accept

    def broker_down(**kwargs):
        raise ColdPathUnavailable("The message broker is unavailable; retry later.")

    monkeypatch.setattr(gateway, "accept", broker_down)
    with pytest.raises(ColdPathUnavailable):
        gateway.readings_hand_over(readings[1:2], registers=registers)
    monkeypatch.setattr(gateway, "accept", accept)
    gateway.readings_hand_over(readings[2:], registers=registers)
    stored = MetricReading.objects.filter(sensor_id=meter.pk, name="energy_kwh").values_list("value", flat=True)
    assert [round(value, 6) for value in stored] == [1.044]  # 123.456 → 124.5 kWh, nothing lost
