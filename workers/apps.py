from django.apps import AppConfig


class WorkersConfig(AppConfig):
    name = "workers"

    def ready(self) -> None:
        # Every process registers the tasks (and the heartbeat signals), so the apps below
        # enqueue by task name (`celery.current_app.tasks[name]`) without importing upward.
        from workers import metrics, tasks  # noqa: F401  (metrics: Celery's signals)
