from django.apps import AppConfig

from core.logs import log_record_factory_install


class CoreConfig(AppConfig):
    """Cross-cutting pieces: the error format, pagination, metrics, system endpoints."""

    name = "core"

    def ready(self) -> None:
        log_record_factory_install()
