"""Celery tasks, one module per area; imported here so autodiscovery finds them all."""

from workers.tasks.ble import collect_job_run
from workers.tasks.maintenance import partitions_ensure_task, retention_apply_task
from workers.tasks.presence import commands_expire_task, presence_sweep_task
from workers.tasks.readings import readings_write_batch
from workers.tasks.rollups import daily_totals_refresh_task

__all__ = [
    "collect_job_run", "commands_expire_task", "daily_totals_refresh_task", "partitions_ensure_task",
    "presence_sweep_task", "readings_write_batch", "retention_apply_task",
]
