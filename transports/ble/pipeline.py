"""From raw notification bytes to SPEC wire-format readings, shared by live listening and replay.

One `SensorStream` per sensor lives as long as the gateway; one `Session` per connection holds
the stateful decoder, the device-clock anchor and the gap detector of that connection.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from .decoders import DecodeError, Sample, decoder_for
from .decoders.battery import BATTERY_LEVEL, battery_level

logger = logging.getLogger(__name__)

# A device clock anchored to host time may lag arrival by link latency; beyond this we re-anchor.
MAX_DEVICE_CLOCK_LAG_S = 2.0


@dataclass(frozen=True)
class Target:
    """A registered sensor the gateway should listen to."""

    sensor_id: str
    address: str
    profile: str
    service_uuid: str | None = None


@dataclass
class Counters:
    """Gateway health, read by /metrics and the periodic log line."""

    connected: int = 0
    packets: int = 0
    decoded: int = 0
    undecodable: int = 0
    dropped: int = 0
    gaps: int = 0
    reconnects: int = 0
    stalls: int = 0
    scanner_restarts: int = 0
    ingest_failures: int = 0
    rejected: int = 0
    gaps_by_sensor: Counter[str] = field(default_factory=Counter)

    def snapshot(self) -> dict[str, int]:
        return {
            "connected": self.connected,
            "packets": self.packets,
            "decoded": self.decoded,
            "undecodable": self.undecodable,
            "dropped": self.dropped,
            "gaps": self.gaps,
            "reconnects": self.reconnects,
            "stalls": self.stalls,
            "scanner_restarts": self.scanner_restarts,
            "ingest_failures": self.ingest_failures,
            "rejected": self.rejected,
        }

    def report(self) -> dict[str, Any]:
        """The snapshot plus the gaps of each sensor, as gateways publish it for /metrics."""
        return {**self.snapshot(), "gaps_by_sensor": dict(self.gaps_by_sensor)}

    def log_line(self) -> str:
        return "ble " + " ".join(f"{name}={value}" for name, value in self.snapshot().items())


def iso_timestamp(epoch_ms: int) -> str:
    """ISO 8601 UTC with milliseconds and a Z, as the SPEC wire format writes it."""
    moment = datetime.fromtimestamp(epoch_ms / 1000, tz=timezone.utc)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


class SensorStream:
    """Per-sensor state that outlives connections: the last timestamp handed out."""

    def __init__(self, target: Target, counters: Counters) -> None:
        self.target = target
        self.counters = counters
        self._last_ms: int | None = None

    def open_session(self, *, rssi: int | None) -> Session:
        return Session(self, rssi=rssi)

    def next_timestamp_ms(self, epoch_seconds: float) -> int:
        # Readings are unique per (sensor, timestamp): never hand out the same millisecond twice,
        # or samples arriving together (several per notification, or batched by the OS) would
        # silently collapse into one when stored.
        candidate = round(epoch_seconds * 1000)
        if self._last_ms is not None and candidate <= self._last_ms:
            candidate = self._last_ms + 1
        self._last_ms = candidate
        return candidate


class Session:
    """One connection: its decoder, clock anchor and gap detector."""

    def __init__(self, stream: SensorStream, *, rssi: int | None) -> None:
        self.stream = stream
        self.decoder = decoder_for(stream.target.profile)
        self.rssi = rssi
        self.battery_level: int | None = None
        self._clock_offset_s: float | None = None
        self._last_sequence: int | None = None
        self._last_device_us: int | None = None

    @property
    def sensor_id(self) -> str:
        return self.stream.target.sensor_id

    def process(self, characteristic: str, host_time: float, data: bytes) -> list[dict]:
        """Readings for one packet. Never raises: bad bytes are counted as undecodable."""
        counters = self.stream.counters
        counters.packets += 1
        if characteristic == BATTERY_LEVEL:
            return self._battery(data, host_time)
        try:
            samples = self.decoder.decode(characteristic, data)
        except DecodeError as error:
            counters.undecodable += 1
            logger.debug("sensor %s: undecodable packet %s: %s", self.sensor_id, data.hex(), error)
            samples = error.samples
        except Exception:  # a decoder bug must not take the gateway down; count it like bad bytes
            counters.undecodable += 1
            logger.exception("sensor %s: decoder %s failed on %s", self.sensor_id, self.stream.target.profile, data.hex())
            samples = []
        if not samples:
            return []
        self._detect_gaps(samples)
        readings: list[dict] = []
        for sample, moment in zip(samples, self._sample_times(samples, host_time)):
            readings.extend(self._readings(sample, self.stream.next_timestamp_ms(moment)))
        counters.decoded += len(readings)
        return readings

    def _battery(self, data: bytes, host_time: float) -> list[dict]:
        try:
            self.battery_level = battery_level(data)
        except DecodeError:
            self.stream.counters.undecodable += 1
            return []
        if self.decoder.produces_motion:
            return []  # it rides along on the motion readings that follow
        self.stream.counters.decoded += 1
        return [self._metric_reading({"battery_level": self.battery_level}, self.stream.next_timestamp_ms(host_time))]

    def _sample_times(self, samples: list[Sample], host_time: float) -> list[float]:
        latest = samples[-1].device_time_us
        if latest is None:
            return [host_time] * len(samples)
        estimate = None if self._clock_offset_s is None else latest / 1e6 + self._clock_offset_s
        if estimate is None or estimate > host_time or host_time - estimate > MAX_DEVICE_CLOCK_LAG_S:
            self._clock_offset_s = host_time - latest / 1e6
        offset = self._clock_offset_s
        return [host_time if s.device_time_us is None else s.device_time_us / 1e6 + offset for s in samples]

    def _detect_gaps(self, samples: list[Sample]) -> None:
        decoder = self.decoder
        for sample in samples:
            missing = 0
            if sample.sequence is not None and decoder.sequence_modulus:
                if self._last_sequence is not None:
                    missing = (sample.sequence - self._last_sequence - 1) % decoder.sequence_modulus
                    if missing > decoder.sequence_modulus // 2:
                        missing = 0  # a repeat or reordering, not a loss
                self._last_sequence = sample.sequence
            elif sample.device_time_us is not None and decoder.nominal_interval_us:
                if self._last_device_us is not None:
                    delta = sample.device_time_us - self._last_device_us
                    if delta > 2 * decoder.nominal_interval_us:
                        missing = round(delta / decoder.nominal_interval_us) - 1
                self._last_device_us = sample.device_time_us
            if missing:
                counters = self.stream.counters
                counters.gaps += 1
                counters.gaps_by_sensor[self.sensor_id] += 1
                logger.warning("sensor %s: gap of about %d samples in the stream", self.sensor_id, missing)

    def _base(self, timestamp_ms: int) -> dict:
        return {"sensor_id": self.sensor_id, "timestamp": iso_timestamp(timestamp_ms)}

    def _readings(self, sample: Sample, timestamp_ms: int) -> list[dict]:
        readings = []
        if sample.acceleration is not None or sample.gyroscope is not None:
            motion = self._base(timestamp_ms)
            if sample.acceleration is not None:
                motion["acceleration"] = _xyz(sample.acceleration)
            if sample.gyroscope is not None:
                motion["gyroscope"] = _xyz(sample.gyroscope)
            readings.append(motion | self._link_state())
        metrics = {name: round(value, 6) for name, value in sample.metrics.items()}
        if sample.magnetometer is not None:
            for axis, value in zip("xyz", sample.magnetometer):
                metrics[f"magnetometer_{axis}"] = round(value, 6)
        if metrics:
            readings.append(self._metric_reading(metrics, timestamp_ms))
        return readings

    def _metric_reading(self, metrics: dict[str, float], timestamp_ms: int) -> dict:
        reading = self._base(timestamp_ms) | {"metrics": metrics}
        if not self.decoder.produces_motion:
            # A metric-only device (an energy meter) has no motion reading to carry its link
            # state, so its metric readings do.
            reading |= self._link_state()
        return reading

    def _link_state(self) -> dict:
        state = {}
        if self.battery_level is not None:
            state["battery_level"] = self.battery_level
        if self.rssi is not None:
            state["signal_strength"] = self.rssi
        return state


def _xyz(vector: tuple[float, float, float]) -> dict[str, float]:
    x, y, z = vector
    return {"x": round(x, 6), "y": round(y, 6), "z": round(z, 6)}
