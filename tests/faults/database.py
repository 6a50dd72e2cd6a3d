"""A private PostgreSQL cluster a test may crash: initdb, pg_ctl start, `pg_ctl stop -m immediate`
(no shutdown checkpoint: a crash), start again. Run as the postgres user when the test is root."""

import json
import os
import shutil
import subprocess
import tempfile
from contextlib import contextmanager
from pathlib import Path

import psycopg

from tests import servers
from tests.servers import free_port

PG_BIN = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"))


def _as_postgres(*command: str) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else list(command)


class PrivatePostgres:
    def __init__(self):
        self.port, self.dir = free_port(), Path(tempfile.mkdtemp(prefix="faults-pg-"))
        self.data = self.dir / "data"
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres", "postgres")

    def url(self, name: str = "sensorium") -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{name}"

    def _pg_ctl(self, *args: str) -> None:
        subprocess.run(_as_postgres(str(PG_BIN / "pg_ctl"), "-D", str(self.data), *args), check=True,
                       capture_output=True, timeout=60)

    def init(self) -> None:
        subprocess.run(_as_postgres(str(PG_BIN / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres",
                                    "--no-sync"), check=True, capture_output=True, timeout=120)

    def start(self) -> None:
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c max_connections=60"
        self._pg_ctl("-o", options, "-l", str(self.dir / "postgres.log"), "-w", "start")

    def crash(self) -> None:
        self._pg_ctl("-m", "immediate", "stop")

    def stop(self) -> None:
        self._pg_ctl("-m", "fast", "stop")


def _manage(database_url: str, *args: str) -> str:
    return subprocess.run([servers.BIN / "python", "manage.py", *args], cwd=servers.ROOT, check=True, text=True,
                          capture_output=True, timeout=300, env=servers.server_env(DATABASE_URL=database_url)).stdout


@contextmanager
def private_postgres():
    """A migrated `sensorium` database on a private cluster."""
    cluster = PrivatePostgres()
    cluster.init()
    cluster.start()
    try:
        with psycopg.connect(cluster.url("postgres"), autocommit=True) as conn:
            conn.execute("CREATE DATABASE sensorium")
        _manage(cluster.url(), "migrate", "--no-input", "-v", "0")
        yield cluster
    finally:
        try:
            cluster.stop()
        except subprocess.CalledProcessError:
            pass  # already down
        shutil.rmtree(cluster.dir, ignore_errors=True)


SENSORS_MAKE = """
import json
from tests.factories import UserFactory, sensor_make
owner = UserFactory(username="faults")
print(json.dumps({kind: [(s.pk, t) for s, t in (sensor_make(owner=owner, id=f"fault-{kind}-{i}") for i in range(2))]
                  for kind in ("http", "socket")}))
"""


def fleet_make(database_url: str) -> dict[str, list[tuple[str, str]]]:
    """Two HTTP and two socket devices in that database (made by the services, in a process of its own)."""
    return {kind: [tuple(pair) for pair in pairs]
            for kind, pairs in json.loads(_manage(database_url, "shell", "-c", SENSORS_MAKE).splitlines()[-1]).items()}
