"""Celery tasks, one module per area; imported here so autodiscovery finds them all."""

from workers.tasks.ble import collect_job_run
from workers.tasks.readings import readings_write_batch

__all__ = ["collect_job_run", "readings_write_batch"]
