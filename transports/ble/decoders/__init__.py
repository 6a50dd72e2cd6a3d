"""Decoders for the BLE device profiles a Sensor can have, chosen by profile name."""

from __future__ import annotations

from .base import STANDARD_GRAVITY, DecodeError, Decoder, FakeEncoder, Sample
from .movesense_imu6 import FakeMovesense, MovesenseImu6Decoder
from .sensorium_diy import FakeSensoriumDiy, SensoriumDiyDecoder
from .sig_energy import FakeSigEnergy, SigEnergyDecoder
from .thingy52 import FakeThingy52, Thingy52Decoder
from .witmotion_bwt901 import FakeWitMotion, WitMotionDecoder

DECODERS: dict[str, type[Decoder]] = {
    decoder.profile: decoder
    for decoder in (
        Thingy52Decoder,
        WitMotionDecoder,
        MovesenseImu6Decoder,
        SensoriumDiyDecoder,
        SigEnergyDecoder,
    )
}
PROFILES: tuple[str, ...] = tuple(DECODERS)
# The simulated device's side of each profile (the fake radio), beside its decoder.
FAKE_ENCODERS: dict[str, type[FakeEncoder]] = {
    "thingy52": FakeThingy52,
    "witmotion_bwt901": FakeWitMotion,
    "movesense_imu6": FakeMovesense,
    "sensorium_diy": FakeSensoriumDiy,
    "sig_energy": FakeSigEnergy,
}


class UnknownProfile(KeyError):
    def __str__(self) -> str:
        return f"unknown BLE profile {self.args[0]!r}; known profiles: {', '.join(PROFILES)}"


def decoder_class(profile: str) -> type[Decoder]:
    try:
        return DECODERS[profile]
    except KeyError:
        raise UnknownProfile(profile) from None


def decoder_for(profile: str) -> Decoder:
    """A fresh, stateful decoder for one connection to a device of `profile`."""
    return decoder_class(profile)()


__all__ = [
    "DECODERS",
    "FAKE_ENCODERS",
    "PROFILES",
    "STANDARD_GRAVITY",
    "DecodeError",
    "Decoder",
    "Sample",
    "UnknownProfile",
    "decoder_class",
    "decoder_for",
]
