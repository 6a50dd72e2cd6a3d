"""Beat tasks that keep aggregates of readings up to date."""

from celery import shared_task

from telemetry.rollups import daily_totals_refresh


@shared_task(acks_late=True)
def daily_totals_refresh_task() -> int:
    return daily_totals_refresh()
