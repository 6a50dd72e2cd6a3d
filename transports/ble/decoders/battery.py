"""Battery Service (0x180F), Battery Level characteristic (0x2A19): uint8, percent 0–100."""

from __future__ import annotations

from .base import DecodeError, uuid16

BATTERY_SERVICE = uuid16(0x180F)
BATTERY_LEVEL = uuid16(0x2A19)


def battery_level(data: bytes) -> int:
    if len(data) != 1 or data[0] > 100:
        raise DecodeError(f"battery level must be one byte 0-100, got {data.hex()}")
    return data[0]
