"""Nordic Thingy:52 raw motion data (Thingy Motion Service, "Raw data" characteristic).

18 bytes, nine int16 little-endian fixed-point values:
accelerometer x/y/z in g with 10 fractional bits (÷1024), gyroscope x/y/z in °/s with
5 fractional bits (÷32), compass x/y/z in µT with 4 fractional bits (÷16).
The format carries neither a sequence number nor a device timestamp.
"""

from __future__ import annotations

import struct

from .base import DecodeError, Decoder, FakeEncoder, STANDARD_GRAVITY, Sample, g_to_ms2, int16, uuid128

MOTION_SERVICE = uuid128("ef680400-9b35-4933-9b10-52ffa9740042")
RAW_DATA = uuid128("ef680406-9b35-4933-9b10-52ffa9740042")

_RAW = struct.Struct("<9h")


class Thingy52Decoder(Decoder):
    profile = "thingy52"
    service_uuid = MOTION_SERVICE
    characteristics = (RAW_DATA,)

    def decode(self, characteristic: str, data: bytes) -> list[Sample]:
        if len(data) != _RAW.size:
            raise DecodeError(f"Thingy:52 raw motion is {_RAW.size} bytes, got {len(data)}")
        values = _RAW.unpack(data)
        return [
            Sample(
                acceleration=g_to_ms2(tuple(v / 1024 for v in values[0:3])),
                gyroscope=tuple(v / 32 for v in values[3:6]),  # type: ignore[arg-type]
                magnetometer=tuple(v / 16 for v in values[6:9]),  # type: ignore[arg-type]
            )
        ]


# --- The simulated device's side (the fake radio, transports/ble/fake.py) ---------------

class FakeThingy52(FakeEncoder):
    gatt = [(MOTION_SERVICE, [(RAW_DATA, ["notify"])])]

    def payloads(self) -> list[tuple[str, bytes]]:
        device, rng = self.device, self.device.rng
        ((_, (acc, gyro, _angles)),) = device.advance(1, device.rate_hz)
        compass = (22.0 + rng.gauss(0, 0.5), -4.0 + rng.gauss(0, 0.5), 41.0 + rng.gauss(0, 0.5))
        values = [a / STANDARD_GRAVITY * 1024 for a in acc] + [g * 32 for g in gyro] + [m * 16 for m in compass]
        return [(RAW_DATA, _RAW.pack(*map(int16, values)))]
