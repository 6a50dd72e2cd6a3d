"""Celery tasks, one module per area; imported here so autodiscovery finds them all."""

from workers.tasks.readings import readings_write_batch

__all__ = ["readings_write_batch"]
