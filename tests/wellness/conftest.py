import uuid
from datetime import datetime, timezone

import pytest


def blink_record(moment: datetime, *, blink_count: int = 15, interval_s: float = 60, **extras) -> dict:
    return {"client_id": str(uuid.uuid4()), "timestamp": moment.isoformat().replace("+00:00", "Z"),
            "blink_count": blink_count, "interval_s": interval_s, **extras}


@pytest.fixture
def record():
    return blink_record


@pytest.fixture
def day():
    """A fixed past day: blink timestamps need not be recent."""
    return datetime(2026, 11, 2, tzinfo=timezone.utc)
