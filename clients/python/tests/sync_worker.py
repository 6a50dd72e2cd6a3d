"""Run as a subprocess by test_queue.py: sync the queue in CACHE to SERVER until it is empty,
in small batches, so that the test can SIGKILL it at any point."""

import asyncio
import sys

from sensorium_client import OfflineQueue, SensoriumClient, TokenStore


async def main(server: str, cache: str, batch_size: int) -> int:
    queue = OfflineQueue(cache)
    async with SensoriumClient(server, store=TokenStore(cache)) as api:
        while queue.pending():
            report = await queue.sync(api, batch_size=batch_size)
            if report.state not in ("synced", "idle"):
                print(report, file=sys.stderr)
                return 1
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3]))))
