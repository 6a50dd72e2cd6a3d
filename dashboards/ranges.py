"""The history range a sensor page shows: a preset (1 h … 30 d) or a custom UTC interval."""

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

PRESETS: dict[str, timedelta] = {
    "1h": timedelta(hours=1),
    "24h": timedelta(hours=24),
    "7d": timedelta(days=7),
    "30d": timedelta(days=30),
}
PRESET_LABELS = {"1h": "1 hour", "24h": "24 hours", "7d": "7 days", "30d": "30 days"}
DEFAULT = "24h"
CUSTOM = "custom"
LONGEST_CUSTOM = timedelta(days=366)
LOCAL_FORMAT = "%Y-%m-%dT%H:%M"  # what <input type="datetime-local"> sends


class RangeInvalid(ValueError):
    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class HistoryRange:
    name: str
    start: datetime
    end: datetime

    @property
    def start_local(self) -> str:
        return self.start.strftime(LOCAL_FORMAT)

    @property
    def end_local(self) -> str:
        return self.end.strftime(LOCAL_FORMAT)


def _utc(text: str, field: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise RangeInvalid(field, "Enter a date and time such as 2026-11-30T08:00.") from None
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)


def history_range_parse(*, name: str, start_text: str = "", end_text: str = "",
                        now: datetime) -> HistoryRange:
    """The range asked for; an unknown name is the default. Custom times without a zone are UTC."""
    if name != CUSTOM:
        name = name if name in PRESETS else DEFAULT
        return HistoryRange(name=name, start=now - PRESETS[name], end=now)
    if not start_text:
        raise RangeInvalid("start", "Choose when the custom range starts.")
    start = _utc(start_text, "start")
    end = _utc(end_text, "end") if end_text else now
    if end <= start:
        raise RangeInvalid("end", "The end must be after the start.")
    if end - start > LONGEST_CUSTOM:
        raise RangeInvalid("start", "Choose a range of at most 366 days.")
    return HistoryRange(name=CUSTOM, start=start, end=end)
