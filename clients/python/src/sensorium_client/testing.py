"""A real Sensorium server for client tests: Daphne on a free port.

The server runs from a checkout (`SENSORIUM_SERVER_ROOT`, or the nearest folder above the
current one holding `manage.py`) with the Python of this process (or
`SENSORIUM_SERVER_PYTHON`), with its own VAR_DIR in a temporary folder.

- Embedded (default): its own SQLite database, Channels' in-memory layer, Celery tasks
  run eagerly.
- Services, with SENSORIUM_CLIENT_TESTS_SERVICES=1 and DATABASE_URL (PostgreSQL),
  REDIS_URL and CELERY_BROKER_URL all set (give it a Redis db and a broker vhost of its
  own: the server's login throttle and queues live there): a fresh database of its own on that PostgreSQL (dropped afterwards),
  Redis for the channel layer and cache, the broker, and a Celery worker it starts. Writes
  then reach the database shortly after the server acknowledges them (the worker stores
  them), so tests read back with `eventually()`.

Clients talk to it over HTTP and WebSocket only.
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

SERVICE_VARIABLES = ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "CELERY_RESULT_BACKEND",
                     "CELERY_TASK_ALWAYS_EAGER", "DJANGO_SETTINGS_MODULE", "VAR_DIR", "S3_BUCKET_DATA",
                     "S3_ENDPOINT_URL")


def services_from_environment() -> dict[str, str] | None:
    """The service URLs, when SENSORIUM_CLIENT_TESTS_SERVICES=1 and all three are set."""
    urls = {name: os.environ.get(name, "") for name in ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL")}
    if (os.environ.get("SENSORIUM_CLIENT_TESTS_SERVICES") == "1" and all(urls.values())
            and urls["DATABASE_URL"].startswith(("postgres://", "postgresql://"))):
        return urls
    return None


async def eventually_async(check, *, timeout: float = 60, interval: float = 0.2, what: str = "condition"):
    """`eventually` for a coroutine function `check`."""
    deadline = time.monotonic() + timeout
    while True:
        result = await check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} still not true after {timeout}s (last: {result!r})")
        await asyncio.sleep(interval)


def eventually(check, *, timeout: float = 60, interval: float = 0.2, what: str = "condition"):
    """Call `check()` until it returns something truthy (returned) or `timeout` passes."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} still not true after {timeout}s (last: {result!r})")
        time.sleep(interval)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_root() -> Path:
    if os.environ.get("SENSORIUM_SERVER_ROOT"):
        return Path(os.environ["SENSORIUM_SERVER_ROOT"]).resolve()
    for folder in [Path.cwd(), *Path.cwd().parents, *Path(__file__).resolve().parents]:
        if (folder / "manage.py").exists() and (folder / "project").is_dir():
            return folder
    raise RuntimeError("no Sensorium checkout found: set SENSORIUM_SERVER_ROOT to the folder holding manage.py")


class LiveServer:
    """`with LiveServer() as server:` migrates a fresh database, starts Daphne; `stop()`,
    `start()` again on the same port and database (an outage), `users(...)` to seed accounts."""

    def __init__(self, *, workdir: str | os.PathLike | None = None, port: int | None = None,
                 embedded: bool = False, **env: str):
        self.root = server_root()
        self.python = os.environ.get("SENSORIUM_SERVER_PYTHON") or sys.executable
        self._own_workdir = workdir is None
        self.workdir = Path(workdir or tempfile.mkdtemp(prefix="sensorium-client-server-"))
        self.port = port or free_port()
        self.extra_env = env
        self.process: subprocess.Popen | None = None
        self.log = self.workdir / "daphne.log"
        self._migrated = False
        # Two servers on one broker would take each other's tasks: extra ones stay embedded.
        self.services = None if embedded else services_from_environment()
        self.worker: subprocess.Popen | None = None
        if self.services:
            base = self.services["DATABASE_URL"].rsplit("/", 1)[0]
            self.database = f"sensorium_client_{os.getpid()}_{secrets.token_hex(3)}"
            self.database_url = f"{base}/{self.database}"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    def env(self) -> dict[str, str]:
        env = {key: value for key, value in os.environ.items() if key not in SERVICE_VARIABLES}
        env.update(DJANGO_SETTINGS_MODULE="project.settings_test", VAR_DIR=str(self.workdir / "var"),
                   PYTHONUNBUFFERED="1", LOG_FORMAT="plain", LOG_LEVEL="WARNING")
        if self.services:
            env.update(self.services, DATABASE_URL=self.database_url, CELERY_TASK_ALWAYS_EAGER="0")
        else:
            env.update(DATABASE_URL=f"sqlite:///{self.workdir / 'sensorium.sqlite3'}", CELERY_TASK_ALWAYS_EAGER="1")
        env.update(self.extra_env)
        return env

    def _admin_sql(self, statement: str) -> None:
        """Run one statement on the PostgreSQL server (CREATE/DROP DATABASE) with the
        server's own driver, in the server's Python."""
        script = ("import sys, psycopg\n"
                  "with psycopg.connect(sys.argv[1], autocommit=True) as connection:\n"
                  "    connection.execute(sys.argv[2])\n")
        maintenance = self.services["DATABASE_URL"].rsplit("/", 1)[0] + "/postgres"
        done = subprocess.run([self.python, "-c", script, maintenance, statement], capture_output=True, text=True,
                              timeout=60)
        if done.returncode != 0:
            raise RuntimeError(f"{statement} failed:\n{done.stderr[-2000:]}")

    def manage(self, *args: str, stdin: str | None = None) -> str:
        done = subprocess.run([self.python, "manage.py", *args], cwd=self.root, env=self.env(), input=stdin,
                              capture_output=True, text=True, timeout=300)
        if done.returncode != 0:
            raise RuntimeError(f"manage.py {' '.join(args)} failed ({done.returncode}):\n{done.stderr[-3000:]}")
        return done.stdout

    def users(self, accounts: dict[str, str]) -> None:
        """Create (or reset) user accounts: `{username: password}`."""
        script = (
            "import json, sys\n"
            "from django.contrib.auth import get_user_model\n"
            "User = get_user_model()\n"
            "for name, password in json.loads(sys.stdin.read()).items():\n"
            "    user, _ = User.objects.get_or_create(username=name, defaults={'email': name + '@example.com'})\n"
            "    user.set_password(password); user.save()\n"
        )
        self.manage("shell", "-c", script, stdin=json.dumps(accounts))

    def start(self, timeout: float = 60) -> LiveServer:
        if not self._migrated:
            if self.services:
                self._admin_sql(f'CREATE DATABASE "{self.database}"')
            self.manage("migrate", "--no-input")
            self._migrated = True
        if self.services and self.worker is None:
            worker_log = (self.workdir / "celery.log").open("a")
            self.worker = subprocess.Popen(
                [str(Path(self.python).parent / "celery"), "-A", "project", "worker", "-l", "warning", "-c", "2",
                 "-P", "threads", "-Q", "telemetry,celery", "--without-gossip", "--without-mingle", "-n", f"{self.database}@%h"],
                cwd=self.root, env=self.env(), stdout=worker_log, stderr=subprocess.STDOUT)
            worker_log.close()
        out = self.log.open("a")
        self.process = subprocess.Popen(
            [str(Path(self.python).parent / "daphne"), "-b", "127.0.0.1", "-p", str(self.port),
             "project.asgi:application"], cwd=self.root, env=self.env(), stdout=out, stderr=subprocess.STDOUT)
        out.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"daphne exited with {self.process.returncode}:\n{self.output()[-3000:]}")
            if self.healthy():
                return self
            time.sleep(0.1)
        raise TimeoutError(f"daphne not ready after {timeout}s:\n{self.output()[-3000:]}")

    def healthy(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}/health", timeout=1) as response:
                return response.status == 200
        except OSError:
            return False

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def output(self) -> str:
        return self.log.read_text() if self.log.exists() else ""

    def __enter__(self) -> LiveServer:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()
        if self.worker is not None:
            self.worker.terminate()
            try:
                self.worker.wait(30)
            except subprocess.TimeoutExpired:
                self.worker.kill()
                self.worker.wait()
            self.worker = None
        if self.services and self._migrated:
            self._admin_sql(f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)')
        if self._own_workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)
