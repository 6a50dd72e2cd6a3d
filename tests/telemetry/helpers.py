from datetime import datetime, timedelta, timezone


def iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def imu_reading(sensor_id: str, moment: datetime, **fields) -> dict:
    reading = {"sensor_id": sensor_id, "timestamp": iso(moment),
               "acceleration": {"x": 0.01, "y": -0.02, "z": 9.81},
               "gyroscope": {"x": 0.1, "y": 0.0, "z": -0.3}, "battery_level": 87, "signal_strength": -61}
    reading.update(fields)
    return reading


def imu_batch(sensor_id: str, count: int, *, start: datetime | None = None) -> list[dict]:
    start = start or datetime.now(timezone.utc).replace(microsecond=0) - timedelta(hours=1)
    return [imu_reading(sensor_id, start + timedelta(milliseconds=10 * i),
                        acceleration={"x": i / 100, "y": 0.0, "z": 9.81}) for i in range(count)]
