from django.apps import AppConfig


class CoreConfig(AppConfig):
    """Cross-cutting pieces: the error format, pagination, metrics, system endpoints."""

    name = "core"

    def ready(self) -> None:
        from core.logs import log_record_factory_install

        log_record_factory_install()
