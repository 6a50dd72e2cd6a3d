"""What every decoder shares: the Sample it produces, the one error it may raise, the base class."""

from __future__ import annotations

import abc
import math
from dataclasses import dataclass, field
from typing import ClassVar

from bleak.uuids import normalize_uuid_16, normalize_uuid_str

STANDARD_GRAVITY = 9.80665  # m/s² per g (CGPM 1901)

Vector = tuple[float, float, float]


@dataclass(frozen=True, slots=True)
class Sample:
    """One decoded measurement. Acceleration in m/s², gyroscope in °/s, magnetometer in µT."""

    acceleration: Vector | None = None
    gyroscope: Vector | None = None
    magnetometer: Vector | None = None
    metrics: dict[str, float] = field(default_factory=dict)
    device_time_us: int | None = None
    sequence: int | None = None


class DecodeError(ValueError):
    """Bytes that do not decode. Stream decoders attach the samples they still recovered."""

    def __init__(self, message: str, *, samples: list[Sample] | None = None) -> None:
        super().__init__(message)
        self.samples: list[Sample] = samples or []


class Decoder(abc.ABC):
    """A stateful decoder for one connection to one device of one profile.

    Class attributes describe the GATT side so that the listener knows what to subscribe to.
    """

    profile: ClassVar[str]
    # Service advertised or exposed by the device; None when the profile has no single service.
    service_uuid: ClassVar[str | None] = None
    # Characteristics this decoder understands: notified ones are subscribed, read-only ones polled.
    characteristics: ClassVar[tuple[str, ...]]
    # True when the profile yields motion (IMU) samples, False for metric-only devices.
    produces_motion: ClassVar[bool] = True
    # Modulus of Sample.sequence, for gap detection (None: the format has no sequence number).
    sequence_modulus: ClassVar[int | None] = None
    # Nominal spacing of samples in device time, for gap detection by device timestamps.
    nominal_interval_us: ClassVar[int | None] = None

    def start_commands(self) -> list[tuple[str, bytes]]:
        """GATT writes (characteristic, payload) that start the stream after subscribing."""
        return []

    def stop_commands(self) -> list[tuple[str, bytes]]:
        """GATT writes that stop the stream before disconnecting."""
        return []

    @abc.abstractmethod
    def decode(self, characteristic: str, data: bytes) -> list[Sample]:
        """Decode one notification (or read) of `characteristic`. Raises only DecodeError."""


class WrapCounter:
    """Unwraps an unsigned counter of `bits` bits into a monotonically growing integer."""

    def __init__(self, bits: int) -> None:
        self._modulus = 1 << bits
        self._last: int | None = None
        self._offset = 0

    def unwrap(self, raw: int) -> int:
        if self._last is not None and raw < self._last and self._last - raw > self._modulus // 2:
            self._offset += self._modulus
        self._last = raw
        return raw + self._offset


def uuid16(value: int) -> str:
    """The full 128-bit string of a 16-bit Bluetooth SIG UUID, as bleak spells it."""
    return normalize_uuid_16(value)


def uuid128(value: str) -> str:
    return normalize_uuid_str(value)


def finite_vector(values: tuple[float, ...], *, what: str) -> Vector:
    if not all(math.isfinite(v) for v in values):
        raise DecodeError(f"{what} contains a non-finite value")
    x, y, z = values
    return (x, y, z)


def g_to_ms2(values: tuple[float, ...]) -> Vector:
    x, y, z = values
    return (x * STANDARD_GRAVITY, y * STANDARD_GRAVITY, z * STANDARD_GRAVITY)


def int16(value: float) -> int:
    return max(-32768, min(32767, round(value)))


class FakeEncoder:
    """What a simulated device of one profile sends: the bytes its real hardware would, from
    the device's simulated motion (`device.advance(samples, rate_hz)`) and random source
    (`device.rng`). Each profile's encoder sits beside its decoder."""

    gatt: list[tuple[str, list[tuple[str, list[str]]]]] = []  # (service, [(characteristic, properties)])
    streams_on_connect = True

    def __init__(self, device) -> None:
        self.device = device

    def rate_hz(self) -> float:
        return 20.0

    def payloads(self) -> list[tuple[str, bytes]]:
        raise NotImplementedError

    def read(self, uuid: str) -> bytes | None:
        return None

    def write(self, uuid: str, data: bytes) -> list[tuple[str, bytes]]:
        """Notifications the device answers a write with (and it may start or stop streaming)."""
        return []

    def reset(self) -> None:
        """The link dropped: forget what was half sent."""
