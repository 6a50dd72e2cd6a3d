"""Readings: how long they are kept, how they are partitioned, what is rolled up."""

from .environment import env

# --- Retention -----------------------------------------------------------------------
# Days of readings kept, per device type: partitions are dropped past the longest type a table
# holds; shorter-lived types' metric readings are deleted inside them (README: Retention).
TELEMETRY_RETENTION_DAYS = {
    "imu": env.int("TELEMETRY_RETENTION_IMU_DAYS", default=30),
    "energy_meter": env.int("TELEMETRY_RETENTION_ENERGY_METER_DAYS", default=730),
    "eye_tracker": env.int("TELEMETRY_RETENTION_EYE_TRACKER_DAYS", default=365),
    "environment": env.int("TELEMETRY_RETENTION_ENVIRONMENT_DAYS", default=365),
    "other": env.int("TELEMETRY_RETENTION_OTHER_DAYS", default=365),
}

# --- Partitions and compression ------------------------------------------------------
TELEMETRY_PARTITIONS_AHEAD_DAYS = env.int("TELEMETRY_PARTITIONS_AHEAD_DAYS", default=7)
TELEMETRY_COMPRESS_AFTER_DAYS = env.int("TELEMETRY_COMPRESS_AFTER_DAYS", default=7)

# --- Ingest --------------------------------------------------------------------------
# A device token's sensor is remembered this long by each web process (rotation and
# deactivation take effect within it).
TELEMETRY_DEVICE_TOKEN_CACHE_S = env.float("TELEMETRY_DEVICE_TOKEN_CACHE_S", default=30.0)

# --- Rollups: daily totals -----------------------------------------------------------
# Metrics summed per hour by the rollup behind daily totals (GET /api/v1/data/{id}/daily, days
# in any time zone); other metrics are summed live from the readings.
TELEMETRY_DAILY_TOTAL_METRICS = env.list("TELEMETRY_DAILY_TOTAL_METRICS", default=["energy_kwh"])
# Each refresh rebuilds this many UTC days before today, so readings arriving that late still count.
TELEMETRY_DAILY_TOTAL_LOOKBACK_DAYS = env.int("TELEMETRY_DAILY_TOTAL_LOOKBACK_DAYS", default=2)
