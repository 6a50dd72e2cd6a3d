"""Collect on demand, routed to the `ble` queue: run that worker on the machine with the radio."""

from celery import shared_task

from transports.ble.collect import collect_job_execute


@shared_task(acks_late=True, reject_on_worker_lost=True)
def collect_job_run(job_id: str) -> dict:
    """Read one BLE sensor for a collect job. Redelivery is safe: a finished job is left alone,
    one a killed worker left running runs again, and readings are stored once per timestamp."""
    return collect_job_execute(job_id=job_id)
