"""Movesense sensors running the GATT SensorData Protocol ("GSP", sample gatt_sensordata_app).

Protocol (Movesense document GD-77, movesense.com/docs/esw/gatt_sensordata_protocol, and the
sample firmware's GATTSensorDataClient): the client writes commands to characteristic
34800001-… as [command, reference, payload]; SUBSCRIBE = 1 with a resource path as ASCII,
UNSUBSCRIBE = 2. The sensor answers on the notify characteristic 34800002-… with
[response type, reference, payload]: COMMAND_RESULT = 1, DATA = 2, DATA_PART2 = 3 (the tail
of a DATA packet too long for one notification; its own two header bytes are dropped and the
rest appended to the pending DATA packet).

A /Meas/IMU6 DATA payload is a uint32 LE device timestamp in ms (of the first sample), then
N accelerometer float32 LE triplets in m/s², then N gyroscope triplets in °/s; N follows
from the length. Samples are spaced 1/52 s apart at the subscribed rate.
"""

from __future__ import annotations

import struct

from .base import DecodeError, Decoder, FakeEncoder, Sample, WrapCounter, finite_vector, uuid128

SERVICE = uuid128("34802252-7185-4d5d-b431-630e7050e8f0")
COMMAND = uuid128("34800001-7185-4d5d-b431-630e7050e8f0")
NOTIFY = uuid128("34800002-7185-4d5d-b431-630e7050e8f0")

CMD_SUBSCRIBE = 1
CMD_UNSUBSCRIBE = 2
RESPONSE_COMMAND_RESULT = 1
RESPONSE_DATA = 2
RESPONSE_DATA_PART2 = 3

REFERENCE = 99  # client-chosen, non-zero; ties DATA packets to our subscription
RATE_HZ = 52
RESOURCE = f"/Meas/IMU6/{RATE_HZ}"

_HEADER = 2  # response type + reference
_TIMESTAMP = struct.Struct("<I")
_TRIPLET = struct.Struct("<3f")
_SAMPLE_BYTES = 2 * _TRIPLET.size  # one accelerometer and one gyroscope triplet


class MovesenseImu6Decoder(Decoder):
    profile = "movesense_imu6"
    service_uuid = SERVICE
    characteristics = (NOTIFY,)
    nominal_interval_us = round(1_000_000 / RATE_HZ)

    def __init__(self) -> None:
        self._pending: bytes | None = None
        self._clock = WrapCounter(32)

    def start_commands(self) -> list[tuple[str, bytes]]:
        return [(COMMAND, bytes([CMD_SUBSCRIBE, REFERENCE]) + RESOURCE.encode("ascii"))]

    def stop_commands(self) -> list[tuple[str, bytes]]:
        return [(COMMAND, bytes([CMD_UNSUBSCRIBE, REFERENCE]))]

    def decode(self, characteristic: str, data: bytes) -> list[Sample]:
        if len(data) < _HEADER:
            raise DecodeError(f"GSP packet of {len(data)} bytes has no header")
        kind, reference = data[0], data[1]
        if kind == RESPONSE_COMMAND_RESULT:
            return []
        if reference != REFERENCE:
            raise DecodeError(f"GSP packet for unknown reference {reference}")
        if kind == RESPONSE_DATA:
            stale, self._pending = self._pending, None
            if _is_whole(len(data)):
                samples = self._samples(data[_HEADER:])
            else:
                self._pending, samples = bytes(data), []
            if stale is not None:
                raise DecodeError("GSP DATA packet never got its DATA_PART2", samples=samples)
            return samples
        if kind == RESPONSE_DATA_PART2:
            if self._pending is None:
                raise DecodeError("GSP DATA_PART2 without a preceding DATA packet")
            whole, self._pending = self._pending + data[_HEADER:], None
            if not _is_whole(len(whole)):
                raise DecodeError(f"GSP IMU6 payload of {len(whole) - _HEADER} bytes is not whole samples")
            return self._samples(whole[_HEADER:])
        raise DecodeError(f"unknown GSP response type {kind}")

    def _samples(self, payload: bytes) -> list[Sample]:
        count = (len(payload) - _TIMESTAMP.size) // _SAMPLE_BYTES
        start_ms = self._clock.unwrap(_TIMESTAMP.unpack_from(payload, 0)[0])
        gyro_offset = _TIMESTAMP.size + count * _TRIPLET.size
        samples = []
        for index in range(count):
            acceleration = _TRIPLET.unpack_from(payload, _TIMESTAMP.size + index * _TRIPLET.size)
            gyroscope = _TRIPLET.unpack_from(payload, gyro_offset + index * _TRIPLET.size)
            samples.append(
                Sample(
                    acceleration=finite_vector(acceleration, what="acceleration"),
                    gyroscope=finite_vector(gyroscope, what="gyroscope"),
                    device_time_us=start_ms * 1000 + round(index * 1_000_000 / RATE_HZ),
                )
            )
        return samples


def _is_whole(packet_length: int) -> bool:
    body = packet_length - _HEADER - _TIMESTAMP.size
    return body > 0 and body % _SAMPLE_BYTES == 0


# --- The simulated device's side (the fake radio, transports/ble/fake.py) ---------------

class FakeMovesense(FakeEncoder):
    gatt = [(SERVICE, [(COMMAND, ["write"]), (NOTIFY, ["notify"])])]
    streams_on_connect = False  # it waits for its subscribe command

    def rate_hz(self) -> float:
        return RATE_HZ / self.device.samples_per_packet

    def payloads(self) -> list[tuple[str, bytes]]:
        moments = self.device.advance(self.device.samples_per_packet, RATE_HZ)
        first_ms = (moments[0][0] // 1000) % 2**32
        payload = _TIMESTAMP.pack(first_ms)
        payload += b"".join(_TRIPLET.pack(*m[1][0]) for m in moments)
        payload += b"".join(_TRIPLET.pack(*m[1][1]) for m in moments)
        packet = bytes([RESPONSE_DATA, REFERENCE]) + payload
        if len(packet) <= 155:
            return [(NOTIFY, packet)]
        tail = bytes([RESPONSE_DATA_PART2, REFERENCE]) + packet[155:]
        return [(NOTIFY, packet[:155]), (NOTIFY, tail)]

    def write(self, uuid: str, data: bytes) -> list[tuple[str, bytes]]:
        if uuid != COMMAND or len(data) < 2:
            return []
        if data[0] == CMD_SUBSCRIBE and data[2:] == RESOURCE.encode():
            self.device.streaming = True
            return [(NOTIFY, bytes([RESPONSE_COMMAND_RESULT, data[1], 200, 0]))]
        if data[0] == CMD_UNSUBSCRIBE:
            self.device.streaming = False
        return []
