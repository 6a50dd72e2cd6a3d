from django.apps import AppConfig


class WorkersConfig(AppConfig):
    name = "workers"

    def ready(self) -> None:
        # Every process registers the tasks (and the heartbeat's and metrics' signals), so the
        # apps below enqueue by task name (`celery.current_app.tasks[name]`) without importing upward.
        from workers import tasks  # noqa: F401
