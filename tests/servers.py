"""Real servers for integration tests: Daphne and Celery workers in subprocesses.

They run against the test database the suite created (tests using them need
`transaction=True` so what they write is committed and visible across processes).
"""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.db import connection

from core.health import broker_queue_names

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_listening(port: int) -> bool:
    """Something accepts connections on 127.0.0.1:`port`."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def test_database_url() -> str:
    """DATABASE_URL naming the database this test session actually uses."""
    db = settings.DATABASES["default"]
    name = connection.settings_dict["NAME"]
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{name}"
    user = db.get("USER") or "postgres"
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{user}{password}@{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{name}"


def server_env(**overrides: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(DJANGO_SETTINGS_MODULE="project.settings_test", DATABASE_URL=test_database_url(),
               PYTHONUNBUFFERED="1", CELERY_TASK_ALWAYS_EAGER="0" if settings.CELERY_BROKER_URL else "1")
    env.update(overrides)
    return env


def _wait_until(check, timeout: float, what: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        if check():
            return
        time.sleep(0.1)
    raise TimeoutError(f"{what} not ready after {timeout}s:\n{log.read_text()[-3000:]}")


def _stop(process: subprocess.Popen, sig: int = signal.SIGTERM, timeout: float = 15) -> None:
    if process.poll() is None:
        process.send_signal(sig)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _log_path(name: str) -> Path:
    folder = Path(settings.VAR_DIR) / "test-logs"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"{name}-{os.getpid()}-{time.monotonic_ns()}.log"


class Server:
    def __init__(self, process: subprocess.Popen, log: Path, port: int | None = None):
        self.process, self.log, self.port = process, log, port

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    def output(self) -> str:
        return self.log.read_text()

    def kill(self) -> None:
        """SIGKILL: the process gets no chance to clean up (a crash)."""
        _stop(self.process, signal.SIGKILL)

    def stop(self) -> None:
        _stop(self.process)


@contextmanager
def daphne_server(port: int | None = None, **env: str):
    port = port or free_port()
    log = _log_path("daphne")
    with log.open("w") as out:
        process = subprocess.Popen(
            [str(BIN / "daphne"), "-b", "127.0.0.1", "-p", str(port), "project.asgi:application"],
            cwd=ROOT, env=server_env(**env), stdout=out, stderr=subprocess.STDOUT)
    server = Server(process, log, port)

    def healthy() -> bool:
        try:
            with urllib.request.urlopen(f"{server.url}/health", timeout=1) as response:
                return response.status == 200
        except OSError:
            return False

    try:
        _wait_until(healthy, 30, "daphne", process, log)
        yield server
    finally:
        server.stop()


@contextmanager
def celery_worker(*, queues: str | None = "", concurrency: int = 1, pool: str = "prefork", write_delay_s: float = 0,
                  **env: str):
    """A worker of the project's app consuming `queues` (by default every queue the app routes
    tasks to; None: no -Q at all, as a bare `celery -A project worker` starts); with
    `write_delay_s`, one that holds each readings batch written but uncommitted that long
    (tests/slow_writes.py), so a test can kill it mid-write."""
    log = _log_path("celery")
    app = "project"
    if write_delay_s:
        app, env["SLOW_WRITES_DELAY_S"] = "tests.slow_writes", str(write_delay_s)
    chosen = [] if queues is None else ["-Q", queues or ",".join(broker_queue_names())]
    with log.open("w") as out:
        process = subprocess.Popen(
            [str(BIN / "celery"), "-A", app, "worker", "-l", "info", *chosen,
             "-c", str(concurrency), "-P", pool, "--without-gossip", "--without-mingle",
             "-n", f"test-{os.getpid()}-{time.monotonic_ns()}@%h"],
            cwd=ROOT, env=server_env(**env), stdout=out, stderr=subprocess.STDOUT)
    worker = Server(process, log)
    try:
        _wait_until(lambda: "ready." in log.read_text(), 60, "celery worker", process, log)
        yield worker
    finally:
        worker.stop()


@contextmanager
def moto_s3_server(port: int | None = None):
    """moto in server mode: a real S3-compatible HTTP endpoint on loopback (any credentials)."""
    port = port or free_port()
    log = _log_path("moto")
    with log.open("w") as out:
        process = subprocess.Popen([str(BIN / "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
                                   cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
    server = Server(process, log, port)

    def listening() -> bool:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return True
        except OSError:
            return False

    try:
        _wait_until(listening, 30, "moto_server", process, log)
        yield server
    finally:
        server.stop()
