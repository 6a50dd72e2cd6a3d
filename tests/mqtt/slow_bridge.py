"""`manage.py mqtt_bridge` whose hand-overs to the cold path each take SLOW_HANDOVER_S longer,
recording in SLOW_HANDOVER_LOG the first reading's timestamp (epoch ms) of every frame once
its hand-over is complete, so a test can check that no ack ever comes first. Production code has no such hook."""

import asyncio
import os
import sys

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")
django.setup()

from django.core.management import call_command  # noqa: E402

from tests.mqtt.device import epoch_ms  # noqa: E402
from transports.mqtt import bridge, link  # noqa: E402

DELAY_S = float(os.environ["SLOW_HANDOVER_S"])
LOG = os.environ["SLOW_HANDOVER_LOG"]
_frame_begin = link.frame_begin


async def _slow_frame_begin(*, readings, sensor):
    first = readings[0]
    stamp = epoch_ms(first["timestamp"] if isinstance(first, dict) else first.timestamp)
    result, durable = await _frame_begin(readings=readings, sensor=sensor)
    if durable is None:
        return result, None
    async def slower():
        await asyncio.sleep(DELAY_S)
        await durable
        with open(LOG, "a") as log:
            log.write(f"{stamp}\n")

    return result, asyncio.ensure_future(slower())


bridge.link.frame_begin = _slow_frame_begin

if __name__ == "__main__":
    call_command("mqtt_bridge", *sys.argv[1:])
