"""WitMotion BWT901BLE (and the WT901BLE family) over its serial-port-like BLE service.

The device streams 20-byte frames: 0x55, a type byte, then nine int16 little-endian values.
Type 0x61 is the motion frame: acceleration x/y/z (÷32768×16 g), angular velocity x/y/z
(÷32768×2000 °/s) and roll/pitch/yaw (÷32768×180 °). Type 0x71 answers register reads and
carries no motion. Frames may be split across notifications or packed several to one, so
the decoder buffers per connection and re-synchronises on the 0x55 header. Note the
vendor UUIDs use the non-standard base …-0000-1000-8000-00805f9a34fb.
"""

from __future__ import annotations

import struct

from .base import DecodeError, Decoder, FakeEncoder, STANDARD_GRAVITY, Sample, g_to_ms2, int16, uuid128

SERVICE = uuid128("0000ffe5-0000-1000-8000-00805f9a34fb")
NOTIFY = uuid128("0000ffe4-0000-1000-8000-00805f9a34fb")

FRAME_LENGTH = 20
HEADER = 0x55
MOTION_FRAME = 0x61
REGISTER_FRAME = 0x71
_KNOWN_TYPES = (MOTION_FRAME, REGISTER_FRAME)
_VALUES = struct.Struct("<9h")


def _is_header(buffer: bytearray, index: int) -> bool:
    return buffer[index] == HEADER and index + 1 < len(buffer) and buffer[index + 1] in _KNOWN_TYPES


class WitMotionDecoder(Decoder):
    profile = "witmotion_bwt901"
    service_uuid = SERVICE
    characteristics = (NOTIFY,)

    def __init__(self) -> None:
        self._buffer = bytearray()
        # A lone trailing 0x55 kept from the previous packet, already reported with its garbage.
        self._carried_header_byte = False

    def decode(self, characteristic: str, data: bytes) -> list[Sample]:
        self._buffer.extend(data)
        samples: list[Sample] = []
        problems: list[str] = []
        buffer = self._buffer
        carried, self._carried_header_byte = self._carried_header_byte, False
        while buffer:
            start = self._find_header(buffer, 0)
            if start < 0:
                # Keep a trailing 0x55: it may be the first half of a header split across packets.
                keep = 1 if buffer[-1] == HEADER else 0
                if len(buffer) > keep:
                    problems.append(f"{len(buffer) - keep} bytes without a frame header")
                del buffer[: len(buffer) - keep]
                self._carried_header_byte = keep == 1
                break
            if start > 0:
                if not (carried and start == 1):
                    problems.append(f"{start} bytes before a frame header")
                del buffer[:start]
            carried = False
            if len(buffer) < FRAME_LENGTH:
                break  # wait for the rest of the frame
            if len(buffer) > FRAME_LENGTH and buffer[FRAME_LENGTH] != HEADER:
                # The byte after this frame should start the next one. If a header sits inside
                # this frame instead, this frame was cut short by a lost packet: reject it.
                inner = self._find_header(buffer, 2, FRAME_LENGTH)
                if inner > 0:
                    problems.append(f"short frame of {inner} bytes")
                    del buffer[:inner]
                    continue
            frame = bytes(buffer[:FRAME_LENGTH])
            del buffer[:FRAME_LENGTH]
            if frame[1] == MOTION_FRAME:
                samples.append(self._motion(frame))
        if problems:
            raise DecodeError("WitMotion stream: " + "; ".join(problems), samples=samples)
        return samples

    @staticmethod
    def _find_header(buffer: bytearray, start: int, end: int | None = None) -> int:
        stop = len(buffer) if end is None else min(end, len(buffer))
        for index in range(start, stop):
            if _is_header(buffer, index):
                return index
        return -1

    @staticmethod
    def _motion(frame: bytes) -> Sample:
        values = _VALUES.unpack_from(frame, 2)
        return Sample(
            acceleration=g_to_ms2(tuple(v / 32768 * 16 for v in values[0:3])),
            gyroscope=tuple(v / 32768 * 2000 for v in values[3:6]),  # type: ignore[arg-type]
            metrics={
                "angle_roll": values[6] / 32768 * 180,
                "angle_pitch": values[7] / 32768 * 180,
                "angle_yaw": values[8] / 32768 * 180,
            },
        )


# --- The simulated device's side (the fake radio, transports/ble/fake.py) ---------------

WRITE = uuid128("0000ffe9-0000-1000-8000-00805f9a34fb")


class FakeWitMotion(FakeEncoder):
    gatt = [(SERVICE, [(NOTIFY, ["notify"]), (WRITE, ["write-without-response", "write"])])]

    def __init__(self, device) -> None:
        super().__init__(device)
        self.pending = b""

    def payloads(self) -> list[tuple[str, bytes]]:
        device = self.device
        ((_, (acc, gyro, angles)),) = device.advance(1, device.rate_hz)
        values = ([a / STANDARD_GRAVITY / 16 * 32768 for a in acc] + [g / 2000 * 32768 for g in gyro]
                  + [x / 180 * 32768 for x in angles])
        frame = bytes([HEADER, MOTION_FRAME]) + _VALUES.pack(*map(int16, values))
        if not device.split_frames:
            return [(NOTIFY, frame)]
        # Cut the byte stream into 13-byte notifications so frames straddle packets.
        self.pending += frame
        chunks = []
        while len(self.pending) >= 13:
            chunks.append((NOTIFY, self.pending[:13]))
            self.pending = self.pending[13:]
        return chunks

    def reset(self) -> None:
        self.pending = b""
