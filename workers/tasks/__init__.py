"""Celery tasks, one module per area; imported here so autodiscovery finds them all."""

from workers.tasks.presence import commands_expire_task, presence_sweep_task
from workers.tasks.readings import readings_write_batch

__all__ = ["commands_expire_task", "presence_sweep_task", "readings_write_batch"]
