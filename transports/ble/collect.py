"""Collect on demand: read one BLE sensor now, for a while or one snapshot, as a job.

Runs in a worker on the `ble` queue (the machine with the radio). The connection is the
gateway's own code (`BleListener.collect`); readings go through the one ingest function.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import asdict, dataclass

from django.conf import settings

from sensors.models import CollectJob
from sensors.services import collect_job_finish, collect_job_start, sensor_collect_refusal

from . import gateway
from .errors import AdapterUnavailable
from .listener import LINK_ERRORS, BleListener, DeviceBusy, DeviceNotFound
from .pipeline import Target

logger = logging.getLogger(__name__)

# Time a job may take beyond its scan and its collection (connect retries, a stalled link,
# teardown) before it is stopped, so that no job stays "running" for ever.
COLLECT_GRACE_S = 120.0


@dataclass
class CollectOutcome:
    packets: int = 0
    readings: int = 0
    rejected: int = 0
    error: str = ""


def collect_job_execute(*, job_id: str) -> dict:
    """Run a queued job to its end and return its summary; a finished job is left as it is."""
    job = CollectJob.objects.select_related("sensor").filter(pk=job_id).first()
    if job is None:
        logger.warning("collect job %s no longer exists (its sensor was deleted?)", job_id)
        return {"id": job_id, "status": "missing"}
    if collect_job_start(job=job):
        sensor = job.sensor
        refusal = sensor_collect_refusal(sensor=sensor)
        if refusal:
            outcome = CollectOutcome(error=refusal)
        else:
            target = Target(sensor_id=sensor.pk, address=sensor.mac_address, profile=sensor.ble_profile)
            try:
                outcome = asyncio.run(_collect(target, seconds=job.seconds, holder=f"collect-job:{job.pk}"))
            except Exception as error:  # the job must end failed, never stay "running"
                logger.exception("collect job %s failed", job.pk)
                outcome = CollectOutcome(error=f"Unexpected failure: {error!r}")
        collect_job_finish(job=job, **asdict(outcome))
        logger.info("collect job %s on %s: %s", job.pk, sensor.pk, outcome)
    return {"id": str(job.pk), "status": job.status, "packets": job.packets, "readings": job.readings,
            "rejected": job.rejected, "error": job.error}


async def _collect(target: Target, *, seconds: int, holder: str) -> CollectOutcome:
    outcome = CollectOutcome()
    registers = gateway.energy_registers()

    async def ingest(readings: list[dict]) -> int:
        rejected = await gateway.ingest(readings, registers=registers)
        outcome.readings += len(readings) - rejected
        return rejected

    radio = gateway.simulated_radio(targets=[target]) if settings.BLUETOOTH_BACKEND == "fake" else None
    lease = gateway.CacheLease(holder=holder)
    listener = BleListener(
        registry=list,
        ingest=ingest,
        settings=gateway.listener_settings(),
        scanner_backend=radio.scanner_backend if radio else None,
        client_backend=radio.client_backend if radio else None,
        lease=lease,
    )
    limit = seconds + listener.settings.scan_timeout + COLLECT_GRACE_S
    deadline = asyncio.timeout(limit)
    try:
        async with deadline:
            await listener.collect(target, seconds=seconds)
    except DeviceBusy as busy:
        holder_now = await lease.holder_of(target.address)
        outcome.error = f"The device is busy: {busy}" + (f" ({holder_now})." if holder_now else ".")
    except (DeviceNotFound, AdapterUnavailable) as error:
        outcome.error = str(error)
    except LINK_ERRORS as error:
        if deadline.expired():
            outcome.error = f"The collection did not finish within {limit:g} s and was stopped."
        else:
            outcome.error = f"The connection to {target.address} failed: {error or type(error).__name__}"
    finally:
        if radio is not None:
            await radio.aclose()
        await gateway.connections_close()
    counters = listener.counters
    outcome.packets, outcome.rejected = counters.packets, counters.rejected
    if not outcome.error:
        outcome.error = _empty_result_reason(outcome, ingest_failures=counters.ingest_failures)
    return outcome


def _empty_result_reason(outcome: CollectOutcome, *, ingest_failures: int) -> str:
    if ingest_failures:
        return f"{ingest_failures} batch(es) of readings could not be handed to storage; see the worker log."
    if outcome.readings == 0 and outcome.rejected:
        return f"All {outcome.rejected} readings were rejected by validation; see the worker log."
    if outcome.readings == 0:
        return f"Connected, but the device sent no readings ({outcome.packets} packets)."
    return ""
