"""The database: SQLite in WAL mode under VAR_DIR by default, PostgreSQL from DATABASE_URL."""

from .environment import VAR_DIR, env

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'sensorium.sqlite3'}")
}
DATABASE_IS_POSTGRES = DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"

# --- PostgreSQL ----------------------------------------------------------------------
# psycopg 3's connection pool; under ASGI a persistent connection per thread
# (CONN_MAX_AGE) leaks connections, so the pool is the only reuse.
if DATABASE_IS_POSTGRES:
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": env.int("DATABASE_POOL_MIN", default=1),
        "max_size": env.int("DATABASE_POOL_MAX", default=10),
        "timeout": env.float("DATABASE_POOL_TIMEOUT", default=10.0),
    }

# --- SQLite --------------------------------------------------------------------------
elif DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file, not memory, so test servers in subprocesses (Daphne, Celery) share it.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test-db.sqlite3")}
    DATABASES["default"]["OPTIONS"] = {
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=10000;"
        ),
        "transaction_mode": "IMMEDIATE",
    }
