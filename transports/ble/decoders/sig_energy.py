"""Energy meters exposing Bluetooth SIG GATT characteristics, one value per characteristic.

UUIDs from Bluetooth SIG Assigned Numbers (section 3.8, as in bleak.uuids); formats and
resolutions from the GATT Specification Supplement (GSS, org.bluetooth.characteristic.*):
  Voltage           0x2B18  uint16, 1/64 V    (M=1, d=0, b=-6); 0xFFFF value not known
  Electric Current  0x2AEE  uint16, 0.01 A    (M=1, d=-2, b=0); 0xFFFF value not known
  Power             0x2B05  uint24, 0.1 W     (M=1, d=-1, b=0); 0xFFFFFE not valid, 0xFFFFFF not known
  Energy            0x2AF2  uint24, 1 kWh     (M=1, d=0, b=0);  0xFFFFFF value not known
  Energy 32         0x2BA8  uint32, 1 Wh      (M=1, d=0, b=0);  0xFFFFFFFE not valid, 0xFFFFFFFF not known
Metrics are stored as voltage (V), current (A), power (W) and energy_total_kwh (kWh): Energy and
Energy 32 are the meter's cumulative register; the gateway derives energy_kwh (the energy used
since the previous reading) from it, see transports/ble/energy.py.
"""

from __future__ import annotations

from dataclasses import dataclass

from .base import DecodeError, Decoder, FakeEncoder, Sample, uuid16


@dataclass(frozen=True)
class _Characteristic:
    metric: str
    length: int
    scale: float
    no_value: frozenset[int]


VOLTAGE = uuid16(0x2B18)
ELECTRIC_CURRENT = uuid16(0x2AEE)
POWER = uuid16(0x2B05)
ENERGY = uuid16(0x2AF2)
ENERGY_32 = uuid16(0x2BA8)

_SPECS: dict[str, _Characteristic] = {
    VOLTAGE: _Characteristic("voltage", 2, 1 / 64, frozenset({0xFFFF})),
    ELECTRIC_CURRENT: _Characteristic("current", 2, 0.01, frozenset({0xFFFF})),
    POWER: _Characteristic("power", 3, 0.1, frozenset({0xFFFFFE, 0xFFFFFF})),
    ENERGY: _Characteristic("energy_total_kwh", 3, 1.0, frozenset({0xFFFFFF})),
    ENERGY_32: _Characteristic("energy_total_kwh", 4, 0.001, frozenset({0xFFFFFFFE, 0xFFFFFFFF})),
}


class SigEnergyDecoder(Decoder):
    profile = "sig_energy"
    characteristics = tuple(_SPECS)
    produces_motion = False

    def decode(self, characteristic: str, data: bytes) -> list[Sample]:
        spec = _SPECS.get(characteristic.lower())
        if spec is None:
            raise DecodeError(f"characteristic {characteristic} is not an energy characteristic")
        if len(data) != spec.length:
            raise DecodeError(f"{spec.metric} is {spec.length} bytes, got {len(data)}")
        raw = int.from_bytes(data, "little")
        if raw in spec.no_value:
            return []
        return [Sample(metrics={spec.metric: raw * spec.scale})]


# --- The simulated device's side (the fake radio, transports/ble/fake.py) ---------------

ENVIRONMENTAL_SENSING = uuid16(0x181A)


class FakeSigEnergy(FakeEncoder):
    gatt = [(ENVIRONMENTAL_SENSING, [(VOLTAGE, ["read", "notify"]), (ELECTRIC_CURRENT, ["read", "notify"]),
                                     (POWER, ["read", "notify"]), (ENERGY, ["read"])])]  # energy read-only: polled

    def __init__(self, device) -> None:
        super().__init__(device)
        self.energy_wh = device.energy_start_wh

    def values(self) -> list[tuple[str, bytes]]:
        rng = self.device.rng
        volts = 230 + rng.gauss(0, 1.5)
        amps = max(0.0, 1.2 + rng.gauss(0, 0.2))
        watts = volts * amps
        self.energy_wh += watts / self.device.rate_hz / 3600
        return [
            (VOLTAGE, round(volts * 64).to_bytes(2, "little")),
            (ELECTRIC_CURRENT, round(amps * 100).to_bytes(2, "little")),
            (POWER, round(watts * 10).to_bytes(3, "little")),
            (ENERGY, round(self.energy_wh / 1000).to_bytes(3, "little")),
        ]

    def payloads(self) -> list[tuple[str, bytes]]:
        return [(uuid, payload) for uuid, payload in self.values() if uuid != ENERGY]

    def read(self, uuid: str) -> bytes | None:
        return next((payload for characteristic, payload in self.values() if characteristic == uuid), None)
