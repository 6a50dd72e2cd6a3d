"""The local SQLite cache: sessions (JWT pairs per server) here, queued records in queue.py.

Both may share one file (the desktop app keeps a single `cache.sqlite3`). The file is
created readable by its owner only: it holds refresh tokens.
"""

from __future__ import annotations

import os
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path


def sqlite_open(path: str | os.PathLike) -> sqlite3.Connection:
    """A connection in WAL mode with synchronous=FULL: a committed row survives a power cut
    or a SIGKILL, and readers never block the writer."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        path.touch(mode=0o600)
    connection = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=FULL")
    connection.execute("PRAGMA busy_timeout=30000")
    return connection


@dataclass(frozen=True)
class Session:
    server: str
    username: str
    access: str
    refresh: str
    saved_at: float


class TokenStore:
    """Sessions keyed by server URL. `None` as path keeps them in memory only."""

    def __init__(self, path: str | os.PathLike | None = None):
        self.path = path
        self._db = sqlite_open(path) if path is not None else sqlite3.connect(":memory:", isolation_level=None,
                                                                              check_same_thread=False)
        self._db.execute("""CREATE TABLE IF NOT EXISTS sessions (
            server TEXT PRIMARY KEY, username TEXT NOT NULL, access TEXT NOT NULL,
            refresh TEXT NOT NULL, saved_at REAL NOT NULL)""")

    @staticmethod
    def key(server: str) -> str:
        return server.rstrip("/")

    def get(self, server: str) -> Session | None:
        row = self._db.execute("SELECT server, username, access, refresh, saved_at FROM sessions WHERE server = ?",
                               (self.key(server),)).fetchone()
        return Session(*row) if row else None

    def save(self, *, server: str, username: str, access: str, refresh: str) -> Session:
        session = Session(self.key(server), username, access, refresh, time.time())
        self._db.execute("INSERT OR REPLACE INTO sessions VALUES (?, ?, ?, ?, ?)",
                         (session.server, username, access, refresh, session.saved_at))
        return session

    def update_tokens(self, *, server: str, access: str, refresh: str | None) -> None:
        if refresh:
            self._db.execute("UPDATE sessions SET access = ?, refresh = ?, saved_at = ? WHERE server = ?",
                             (access, refresh, time.time(), self.key(server)))
        else:
            self._db.execute("UPDATE sessions SET access = ?, saved_at = ? WHERE server = ?",
                             (access, time.time(), self.key(server)))

    def wipe(self, server: str) -> None:
        self._db.execute("DELETE FROM sessions WHERE server = ?", (self.key(server),))

    def servers(self) -> list[str]:
        return [row[0] for row in self._db.execute("SELECT server FROM sessions ORDER BY saved_at DESC")]

    def close(self) -> None:
        self._db.close()
