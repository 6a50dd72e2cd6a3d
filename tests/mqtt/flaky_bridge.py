"""`manage.py mqtt_bridge` whose first FLAKY_HANDOVER_FAILURES hand-overs fail as when the
Celery broker or the database is down (ColdPathUnavailable), nothing written. Production code
has no such hook."""

import asyncio
import os
import sys

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")
django.setup()

from django.core.management import call_command  # noqa: E402

from transports.mqtt import bridge, link  # noqa: E402

failures_left = int(os.environ["FLAKY_HANDOVER_FAILURES"])
_frame_begin = link.frame_begin


async def _flaky_frame_begin(*, readings, sensor):
    global failures_left
    if failures_left <= 0:
        return await _frame_begin(readings=readings, sensor=sensor)
    failures_left -= 1
    result, _durable = link.IngestResult(accepted=len(readings)), asyncio.get_running_loop().create_future()
    _durable.set_exception(link.ColdPathUnavailable("The message broker is unavailable; retry later."))
    return result, _durable


bridge.link.frame_begin = _flaky_frame_begin

if __name__ == "__main__":
    call_command("mqtt_bridge", *sys.argv[1:])
