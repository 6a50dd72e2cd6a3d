import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def production_env(tmp_path, **overrides) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key not in ("DEBUG", "SECURE_HTTPS", "SECRET_KEY")}
    env.update(DJANGO_SETTINGS_MODULE="project.settings", SECRET_KEY=secrets.token_urlsafe(50),
               ALLOWED_HOSTS="sensorium.example.com", VAR_DIR=str(tmp_path))
    env.update(overrides)
    return env


def manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120)


def test_check_deploy_is_clean_with_production_settings(tmp_path):
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=production_env(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_catches_debug_left_on(tmp_path):
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=production_env(tmp_path, DEBUG="1"))
    assert result.returncode != 0 and "security.W018" in result.stderr


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    env = production_env(tmp_path)
    del env["SECRET_KEY"]
    result = manage("check", env=env)
    assert result.returncode != 0 and "SECRET_KEY is not set" in result.stderr
