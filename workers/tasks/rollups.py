"""Beat tasks that keep aggregates of readings up to date."""

from celery import shared_task


@shared_task(acks_late=True)
def daily_totals_refresh_task() -> int:
    from telemetry.rollups import daily_totals_refresh

    return daily_totals_refresh()
