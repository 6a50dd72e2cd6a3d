"""The settings module read fresh under a given environment, as a process would start."""

import importlib.util
import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SERVICE_VARIABLES = ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "CELERY_TASK_ALWAYS_EAGER", "VAR_DIR",
                     "DEBUG", "SECRET_KEY", "SECURE_HTTPS", "CELERY_TASK_DEFAULT_QUEUE")


@pytest.fixture
def settings_under(tmp_path, monkeypatch):
    """Load a copy of the project/settings/ package (beside an optional .env) with exactly these variables."""

    def load(dot_env: str = "", **variables: str | None):
        # The settings find .env from their own location: lay the copy beside one.
        (tmp_path / "project").mkdir(exist_ok=True)
        shutil.copytree(ROOT / "project" / "settings", tmp_path / "project" / "settings", dirs_exist_ok=True,
                        ignore=shutil.ignore_patterns("__pycache__"))
        (tmp_path / ".env").write_text(dot_env)
        for name in SERVICE_VARIABLES:
            monkeypatch.delenv(name, raising=False)
        variables = {"SECRET_KEY": "s" * 50, "VAR_DIR": str(tmp_path / "var"), **variables}
        for name, value in variables.items():
            if value is not None:
                monkeypatch.setenv(name, value)
        package = tmp_path / "project" / "settings"
        spec = importlib.util.spec_from_file_location("settings_copy", package / "__init__.py",
                                                      submodule_search_locations=[str(package)])
        module = importlib.util.module_from_spec(spec)
        # The package's modules import one another relatively: a fresh copy each time.
        for name in [name for name in sys.modules if name.partition(".")[0] == "settings_copy"]:
            monkeypatch.delitem(sys.modules, name)
        monkeypatch.setitem(sys.modules, "settings_copy", module)
        spec.loader.exec_module(module)
        return module

    return load


def test_embedded_default_uses_sqlite_wal_in_memory_layer_and_eager_tasks(settings_under):
    settings = settings_under()
    database = settings.DATABASES["default"]
    assert database["ENGINE"] == "django.db.backends.sqlite3"
    assert "journal_mode=WAL" in database["OPTIONS"]["init_command"]
    assert settings.CHANNEL_LAYERS["default"]["BACKEND"] == "channels.layers.InMemoryChannelLayer"
    assert settings.CELERY_TASK_ALWAYS_EAGER is True
    assert settings.DEBUG is False and settings.SESSION_COOKIE_SECURE is True


def test_service_urls_switch_to_postgres_pool_redis_and_a_broker(settings_under):
    settings = settings_under(DATABASE_URL="postgres://u:p@db.example:5432/sensorium",
                              REDIS_URL="redis://cache.example:6379/3",
                              CELERY_BROKER_URL="amqp://guest:guest@mq.example:5672//",
                              CELERY_TASK_DEFAULT_QUEUE="sensorium")
    database = settings.DATABASES["default"]
    assert database["ENGINE"] == "django.db.backends.postgresql"
    assert database["CONN_MAX_AGE"] == 0 and database["OPTIONS"]["pool"]["max_size"] == 10
    assert settings.CHANNEL_LAYERS["default"]["BACKEND"] == "core.channel_layers.PipelinedPubSubChannelLayer"
    assert settings.CHANNEL_LAYERS["default"]["CONFIG"]["hosts"] == ["redis://cache.example:6379/3"]
    assert settings.CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache"
    assert settings.CELERY_TASK_ALWAYS_EAGER is False
    assert settings.CELERY_TASK_DEFAULT_QUEUE == "sensorium"


def test_var_dir_set_in_dot_env_is_honoured(settings_under, tmp_path):
    settings = settings_under(dot_env=f"VAR_DIR={tmp_path / 'elsewhere'}\n", VAR_DIR=None)
    assert settings.VAR_DIR == tmp_path / "elsewhere"
    assert (tmp_path / "elsewhere").is_dir()


def test_the_process_environment_wins_over_dot_env(settings_under, tmp_path):
    settings = settings_under(dot_env=f"VAR_DIR={tmp_path / 'elsewhere'}\n")
    assert settings.VAR_DIR == tmp_path / "var"
