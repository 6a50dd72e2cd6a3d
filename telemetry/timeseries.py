"""What differs between TimescaleDB, plain PostgreSQL and SQLite when reading time series
(whether TimescaleDB is there is telemetry.storage.timescale_installed, the one detection),
and the UTC time arithmetic the queries share.

The time bucket is `time_bucket` on TimescaleDB, `date_bin` on PostgreSQL and whole-second
arithmetic on SQLite, always aligned to UTC midnight so a bucket means the same
everywhere and a cursor can point at one.
"""

from datetime import date, datetime, time, timedelta, timezone, tzinfo

from django.db.models import DateTimeField, Func

from telemetry.storage import timescale_installed

HOUR = timedelta(hours=1)


class TimeBucket(Func):
    """The start of the `seconds`-wide UTC-aligned bucket holding a timestamp."""

    output_field = DateTimeField()

    def __init__(self, expression, *, seconds: int):
        super().__init__(expression)
        self.seconds = int(seconds)

    def as_postgresql(self, compiler, connection, **extra_context):
        timestamp, params = compiler.compile(self.source_expressions[0])
        return bucket_sql_postgresql(timestamp, self.seconds, timescale=timescale_installed()), params

    def as_sqlite(self, compiler, connection, **extra_context):
        timestamp, params = compiler.compile(self.source_expressions[0])
        return (f"datetime((unixepoch({timestamp}) / {self.seconds}) * {self.seconds}, 'unixepoch')",
                params)


def bucket_sql_postgresql(timestamp_sql: str, seconds: int, *, timescale: bool) -> str:
    if timescale:
        return f"time_bucket(INTERVAL '{int(seconds)} seconds', {timestamp_sql})"
    return f"date_bin(INTERVAL '{int(seconds)} seconds', {timestamp_sql}, TIMESTAMPTZ '2000-01-01 00:00:00+00')"


def day_start(day: date) -> datetime:
    """The instant at which `day` begins in UTC."""
    return datetime.combine(day, time.min, tzinfo=timezone.utc)


def local_day_start(day: date, tz: tzinfo) -> datetime:
    """The instant (in UTC) at which `day` begins in `tz`."""
    return datetime.combine(day, time.min, tzinfo=tz).astimezone(timezone.utc)


def hour_floor(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0)
