"""The Sensorium DIY motion format (documented for makers in transports/ble/FORMAT.md).

Each record is 30 bytes, little-endian: uint16 sequence, uint32 device time in µs,
float32 acceleration x/y/z in m/s², float32 angular velocity x/y/z in °/s.
A notification carries one or more whole records; records never span notifications.
"""

from __future__ import annotations

import struct

from .base import DecodeError, Decoder, FakeEncoder, Sample, WrapCounter, finite_vector, uuid128

SERVICE = uuid128("5e0f0001-53e5-4c1a-9b3e-7d2a4f6c8b10")
MOTION = uuid128("5e0f0002-53e5-4c1a-9b3e-7d2a4f6c8b10")

RECORD = struct.Struct("<HI6f")
assert RECORD.size == 30


class SensoriumDiyDecoder(Decoder):
    profile = "sensorium_diy"
    service_uuid = SERVICE
    characteristics = (MOTION,)
    sequence_modulus = 1 << 16

    def __init__(self) -> None:
        self._clock = WrapCounter(32)

    def decode(self, characteristic: str, data: bytes) -> list[Sample]:
        if not data or len(data) % RECORD.size:
            raise DecodeError(f"Sensorium DIY notifications are whole {RECORD.size}-byte records, got {len(data)} bytes")
        samples = []
        for sequence, device_us, *values in RECORD.iter_unpack(data):
            samples.append(
                Sample(
                    acceleration=finite_vector(tuple(values[0:3]), what="acceleration"),
                    gyroscope=finite_vector(tuple(values[3:6]), what="gyroscope"),
                    device_time_us=self._clock.unwrap(device_us),
                    sequence=sequence,
                )
            )
        return samples


# --- The simulated device's side (the fake radio, transports/ble/fake.py) ---------------

class FakeSensoriumDiy(FakeEncoder):
    gatt = [(SERVICE, [(MOTION, ["notify"])])]

    def __init__(self, device) -> None:
        super().__init__(device)
        self.sequence = device.sequence_start

    def payloads(self) -> list[tuple[str, bytes]]:
        device, records = self.device, []
        rate = device.rate_hz * device.records_per_notification
        for device_us, (acc, gyro, _angles) in device.advance(device.records_per_notification, rate):
            self.sequence = (self.sequence + 1) % 2**16
            records.append(RECORD.pack(self.sequence, device_us, *acc, *gyro))
        return [(MOTION, b"".join(records))]
