"""Celery tasks, one module per area; imported here so autodiscovery finds them all, and
with them the signal receivers of the worker heartbeat and of Celery's metrics."""

from workers import heartbeat, metrics  # noqa: F401  (connect their Celery signals)

from workers.tasks.alerts import alarms_silence_check, batch_evaluate, notification_deliver
from workers.tasks.ble import collect_job_run
from workers.tasks.maintenance import partitions_ensure_task, retention_apply_task
from workers.tasks.presence import commands_expire_task, presence_sweep_task
from workers.tasks.readings import readings_write_batch
from workers.tasks.rollups import daily_totals_refresh_task
from workers.tasks.storage import blinks_export_daily, blinks_export_user_day, export_job_run

__all__ = [
    "alarms_silence_check", "batch_evaluate", "notification_deliver",
    "blinks_export_daily", "blinks_export_user_day", "collect_job_run", "commands_expire_task",
    "daily_totals_refresh_task", "export_job_run", "partitions_ensure_task", "presence_sweep_task",
    "readings_write_batch", "retention_apply_task",
]
