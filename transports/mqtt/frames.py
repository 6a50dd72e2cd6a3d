"""What a device publishes, read without trusting it: a telemetry payload becomes a frame
(seq + readings) or the error to publish on its ack topic; a status payload a presence."""

import json
import uuid
from dataclasses import dataclass
from typing import Any

import msgspec

from telemetry.schema import readings_decode



class FrameInvalid(Exception):
    """The payload cannot be a telemetry frame; `errors` is what the ack topic says."""

    def __init__(self, errors: dict[str, list[str]], seq: int | None = None):
        super().__init__(errors)
        self.errors, self.seq = errors, seq


@dataclass
class TelemetryFrame:
    seq: int | None  # None for a bare reading: its ack says `"seq": null`
    readings: list[Any]


class _Envelope(msgspec.Struct):
    """A frame's envelope, its readings left unparsed (Raw: skipped, not decoded)."""

    seq: Any = None
    readings: msgspec.Raw = msgspec.Raw(b"")  # empty: the payload has no "readings"


_envelope_decoder = msgspec.json.Decoder(_Envelope)


def _seq_checked(seq: Any) -> int:
    if not isinstance(seq, int) or isinstance(seq, bool) or seq < 0:
        raise FrameInvalid({"seq": ["A non-negative integer sequence number is required."]},
                           seq=seq if isinstance(seq, int) and not isinstance(seq, bool) else None)
    return seq


def telemetry_frame_read(payload: bytes, *, max_bytes: int) -> TelemetryFrame:
    """`{"seq": N, "readings": [...]}` (the device WebSocket's frame; "type" may be there too)
    or one bare reading."""
    if len(payload) > max_bytes:
        raise FrameInvalid({"payload": [f"At most {max_bytes} bytes per message; got {len(payload)}."]})
    if payload[:1] == b"{":
        try:
            envelope = _envelope_decoder.decode(payload)
        except (msgspec.DecodeError, msgspec.ValidationError):
            envelope = None
        if envelope is not None and len(envelope.readings):
            seq = _seq_checked(envelope.seq)
            # A clean frame decodes straight into typed readings (one C pass, as HTTP ingest);
            # anything else is decoded generically, so each problem is reported per reading.
            typed = readings_decode(payload)
            if typed is not None:
                return TelemetryFrame(seq=seq, readings=typed)
    frame = _json_decode(payload)
    if not isinstance(frame, dict):
        raise FrameInvalid({"payload": ['Expected {"seq": N, "readings": [...]} or one reading object.']})
    if "readings" not in frame:
        return TelemetryFrame(seq=None, readings=[frame])
    seq = _seq_checked(frame.get("seq"))
    if not isinstance(frame["readings"], list):
        raise FrameInvalid({"readings": ["Must be an array of readings."]}, seq=seq)
    return TelemetryFrame(seq=seq, readings=frame["readings"])


def _json_decode(payload: bytes) -> Any:
    try:
        return msgspec.json.decode(payload)
    except msgspec.DecodeError:
        try:  # NaN and Infinity get through, to be rejected per reading with a reason
            return json.loads(payload)
        except (ValueError, UnicodeDecodeError) as exc:
            raise FrameInvalid({"payload": [f"Malformed JSON: {exc}"]}) from exc


@dataclass
class CommandResult:
    command_id: uuid.UUID
    succeeded: bool
    reply: dict[str, Any]


def command_result_read(payload: bytes) -> CommandResult:
    """`{"id": "<command id>", "status": "ok"|"error", "result": {...}}`."""
    frame = _json_decode(payload)
    if not isinstance(frame, dict):
        raise FrameInvalid({"payload": ["Expected a JSON object."]})
    try:
        command_id = uuid.UUID(str(frame.get("id")))
    except ValueError as exc:
        raise FrameInvalid({"id": ["Not a command id."]}) from exc
    if frame.get("status") not in ("ok", "error"):
        raise FrameInvalid({"status": ['Must be "ok" or "error".']})
    result = frame.get("result")
    return CommandResult(command_id=command_id, succeeded=frame["status"] == "ok",
                         reply=result if isinstance(result, dict) else {"result": result})


def status_read(payload: bytes) -> bool | None:
    """`{"online": true|false}` (or the bare words online/offline) → online?; None if neither."""
    text = payload.strip()
    if text in (b"online", b"offline"):
        return text == b"online"
    try:
        frame = msgspec.json.decode(text)
    except msgspec.DecodeError:
        return None
    online = frame.get("online") if isinstance(frame, dict) else None
    return online if isinstance(online, bool) else None
