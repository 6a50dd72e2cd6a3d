from django.apps import AppConfig


class AlertsConfig(AppConfig):
    name = "alerts"
    verbose_name = "Alarms"

    def ready(self) -> None:
        from alerts import receivers  # noqa: F401  (subscribes evaluation to readings and presence)
