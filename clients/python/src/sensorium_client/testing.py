"""A real Sensorium server for client tests: Daphne on a free port, embedded mode.

The server runs from a checkout (`SENSORIUM_SERVER_ROOT`, or the nearest folder above the
current one holding `manage.py`) with the Python of this process (or
`SENSORIUM_SERVER_PYTHON`): its own SQLite database and VAR_DIR in a temporary folder,
Channels' in-memory layer, Celery tasks run eagerly. Service URLs in the environment
(DATABASE_URL, REDIS_URL, CELERY_BROKER_URL) are ignored, so the client suite behaves the
same in both legs of CI. Clients talk to it over HTTP and WebSocket only.
"""

from __future__ import annotations

import json
import os
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

    def __init__(self, *, workdir: str | os.PathLike | None = None, port: int | None = None, **env: str):
        self.root = server_root()
        self.python = os.environ.get("SENSORIUM_SERVER_PYTHON") or sys.executable
        self._own_workdir = workdir is None
        self.workdir = Path(workdir or tempfile.mkdtemp(prefix="sensorium-client-server-"))
        self.port = port or free_port()
        self.extra_env = env
        self.process: subprocess.Popen | None = None
        self.log = self.workdir / "daphne.log"
        self._migrated = False

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    def env(self) -> dict[str, str]:
        env = {key: value for key, value in os.environ.items() if key not in SERVICE_VARIABLES}
        env.update(DJANGO_SETTINGS_MODULE="project.settings_test", VAR_DIR=str(self.workdir / "var"),
                   DATABASE_URL=f"sqlite:///{self.workdir / 'sensorium.sqlite3'}", CELERY_TASK_ALWAYS_EAGER="1",
                   PYTHONUNBUFFERED="1", LOG_FORMAT="plain", LOG_LEVEL="WARNING")
        env.update(self.extra_env)
        return env

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
            self.manage("migrate", "--no-input")
            self._migrated = True
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
        if self._own_workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)
