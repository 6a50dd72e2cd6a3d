from django.apps import AppConfig


class TelemetryConfig(AppConfig):
    name = "telemetry"

    def ready(self) -> None:
        from telemetry import live  # noqa: F401  (subscribes the live broadcast to the "accepted" hook)
