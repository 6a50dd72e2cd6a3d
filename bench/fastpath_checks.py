"""What the per-request checks of the device ingest fast path cost (transports/http.py):

- the device token's credential generation, one Redis GET (sensors/credentials.py), which
  makes a rotated or revoked token stop working at once in every process;
- the CORS headers django-cors-headers would add (computed by its own logic).

    REDIS_URL=redis://127.0.0.1:6379/3 DEBUG=1 .venv/bin/python bench/fastpath_checks.py [--n 5000]

Prints µs per request next to a bare redis.asyncio GET for scale; paste into bench/RESULTS.md.
"""

import argparse
import asyncio
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


async def _per_call(make, n: int) -> float:
    await make()
    started = time.perf_counter()
    for _ in range(n):
        await make()
    return (time.perf_counter() - started) / n * 1e6


async def main(n: int) -> None:
    import redis.asyncio
    from django.conf import settings

    from sensors.credentials import credentials_generation
    from transports.http import _cors_headers

    if not settings.REDIS_URL:
        sys.exit("Set REDIS_URL: without it the generation is an in-process dict lookup.")
    bare = redis.asyncio.Redis.from_url(settings.REDIS_URL)
    token_hash = "0" * 64
    rows = [
        ("bare redis.asyncio GET", await _per_call(lambda: bare.get("bench:none"), n)),
        ("credential generation (Redis GET)", await _per_call(lambda: credentials_generation(token_hash=token_hash), n)),
    ]
    scope = {"path": "/api/v1/data/ingest"}
    for label, headers in (("CORS headers, no Origin", {}), ("CORS headers, with Origin", {b"origin": b"https://a.example"})):
        started = time.perf_counter()
        for _ in range(n):
            _cors_headers(scope, headers)
        rows.append((label, (time.perf_counter() - started) / n * 1e6))
    await bare.aclose()
    print(f"| check | µs per request (n = {n}) |\n|---|---|")
    for label, micros in rows:
        print(f"| {label} | {micros:.1f} |")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=5000)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")
    import django

    django.setup()
    asyncio.run(main(args.n))
