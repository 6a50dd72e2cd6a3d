from django.apps import AppConfig


class WorkersConfig(AppConfig):
    name = "workers"

    def ready(self) -> None:
        from workers import heartbeat  # noqa: F401  (connects the worker_ready/shutdown signals)
