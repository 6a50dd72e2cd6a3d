from django.apps import AppConfig


class CoreConfig(AppConfig):
    """Cross-cutting pieces: the error format, pagination, metrics, system endpoints."""

    name = "core"
