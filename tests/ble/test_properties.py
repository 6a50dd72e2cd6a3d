"""Property tests: no byte sequence makes a decoder or the packet pipeline raise anything else."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from transports.ble.decoders import DECODERS, PROFILES, DecodeError, decoder_for
from transports.ble.decoders.battery import BATTERY_LEVEL
from transports.ble.decoders.witmotion_bwt901 import NOTIFY as WITMOTION_NOTIFY
from transports.ble.pipeline import Counters, SensorStream, Target

packets = st.lists(st.binary(max_size=64), max_size=30)
profiles = st.sampled_from(PROFILES)


def characteristic_for(profile: str, index: int) -> str:
    understood = DECODERS[profile].characteristics
    return understood[index % len(understood)]


@settings(max_examples=300, deadline=None)
@given(profile=profiles, chunks=packets, choice=st.integers(min_value=0, max_value=10))
def test_decoders_raise_nothing_but_decode_error(profile, chunks, choice):
    decoder = decoder_for(profile)
    for chunk in chunks:
        try:
            samples = decoder.decode(characteristic_for(profile, choice), chunk)
        except DecodeError as error:
            samples = error.samples
        assert isinstance(samples, list)


@settings(max_examples=200, deadline=None)
@given(profile=profiles, chunks=packets, battery=st.booleans())
def test_the_pipeline_never_raises_and_counts_every_packet(profile, chunks, battery):
    counters = Counters()
    session = SensorStream(Target("s-1", "AA:BB:CC:DD:EE:FF", profile), counters).open_session(rssi=-70)
    for index, chunk in enumerate(chunks):
        characteristic = BATTERY_LEVEL if battery and index % 3 == 0 else characteristic_for(profile, index)
        readings = session.process(characteristic, 1_795_341_600.0 + index / 10, chunk)
        assert all(reading["sensor_id"] == "s-1" for reading in readings)
    assert counters.packets == len(chunks)
    assert counters.undecodable <= counters.packets


@settings(max_examples=200, deadline=None)
@given(chunks=packets)
def test_the_witmotion_buffer_stays_bounded(chunks):
    decoder = decoder_for("witmotion_bwt901")
    for chunk in chunks:
        try:
            decoder.decode(WITMOTION_NOTIFY, chunk)
        except DecodeError:
            pass
        assert len(decoder._buffer) < 20
