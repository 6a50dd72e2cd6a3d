"""`sensorium`: the operator CLI. Exit codes (stable, for scripts):

    0  done
    1  unexpected failure (a bug: the message says what)
    2  wrong usage (unknown option, missing argument, unreadable file)
    3  not signed in, or the server refused the credentials
    4  server unreachable
    5  the server refused the request (validation, not found, conflict); its message is printed
    6  partly done: some rows were rejected (ingest); the summary names them
    7  server error (5xx, e.g. 503 when storage or S3 is down): retry later

Messages go to stderr as `error: <what>`; data (tables, JSON, CSV) to stdout.
"""

from __future__ import annotations

import asyncio
import functools
import json
import os
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import click
import platformdirs

from sensorium_client.client import SensoriumClient
from sensorium_client.errors import ApiError, AuthenticationFailed, NotSignedIn, ServerError, ServerUnreachable
from sensorium_client.importer import ImportSummary, import_file
from sensorium_client.store import TokenStore
from sensorium_client.stream import live_frames

EXIT_OK, EXIT_FAILURE, EXIT_USAGE, EXIT_AUTH, EXIT_UNREACHABLE, EXIT_REFUSED, EXIT_PARTIAL, EXIT_SERVER = range(8)


def default_cache() -> Path:
    return Path(platformdirs.user_data_dir("sensorium", appauthor=False)) / "session.sqlite3"


class Context:
    def __init__(self, url: str | None, cache: Path):
        self.cache = cache
        self.store = TokenStore(cache)
        self.url = url or next(iter(self.store.servers()), None)

    def client(self) -> SensoriumClient:
        if not self.url:
            raise NotSignedIn("Not signed in: run `sensorium login --url URL --username NAME` first.")
        return SensoriumClient(self.url, store=self.store)


def fail(code: int, message: str) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(code)


def run(coroutine_function):
    """Run an async command; map the SDK's exceptions to the documented exit codes."""

    @functools.wraps(coroutine_function)
    def wrapper(*args, **kwargs):
        try:
            return asyncio.run(coroutine_function(*args, **kwargs))
        except (NotSignedIn, AuthenticationFailed) as exc:
            fail(EXIT_AUTH, getattr(exc, "error", None) or str(exc))
        except ServerUnreachable as exc:
            fail(EXIT_UNREACHABLE, str(exc))
        except ServerError as exc:
            fail(EXIT_SERVER, f"server error {exc.status}: {exc.error}")
        except ApiError as exc:
            fields = "; ".join(f"{name}: {' '.join(messages)}" for name, messages in exc.field_errors().items())
            fail(EXIT_REFUSED, f"{exc.status} {exc.error}" + (f" ({fields})" if fields and fields not in exc.error
                                                              else ""))
        except KeyboardInterrupt:
            sys.exit(130)

    return wrapper


pass_context = click.make_pass_decorator(Context)


@click.group()
@click.option("--url", envvar="SENSORIUM_URL", help="Server URL (default: the one you last logged in to).")
@click.option("--cache", envvar="SENSORIUM_CACHE", type=click.Path(dir_okay=False, path_type=Path),
              default=default_cache, show_default="your data folder", help="Session cache (SQLite).")
@click.version_option(package_name="sensorium-client")
@click.pass_context
def main(ctx: click.Context, url: str | None, cache: Path) -> None:
    """Sensorium from the command line. Exit codes: 0 ok, 2 usage, 3 not signed in,
    4 unreachable, 5 refused, 6 some rows rejected, 7 server error."""
    ctx.obj = Context(url, cache)


@main.command()
@click.option("--url", "login_url", required=True, help="Server URL, e.g. http://127.0.0.1:8000")
@click.option("--username", required=True)
@click.option("--password", envvar="SENSORIUM_PASSWORD", help="Or SENSORIUM_PASSWORD; prompted when absent.")
@pass_context
@run
async def login(obj: Context, login_url: str, username: str, password: str | None) -> None:
    """Sign in; the session is kept in the cache until `logout`."""
    if password is None:
        password = click.prompt("Password", hide_input=True, err=True)
    obj.url = login_url
    async with obj.client() as api:
        await api.login(username, password)
    click.echo(f"Signed in to {login_url.rstrip('/')} as {username}.", err=True)


@main.command()
@pass_context
@run
async def logout(obj: Context) -> None:
    """Revoke the session on the server and forget it here."""
    async with obj.client() as api:
        await api.logout()
    click.echo("Signed out.", err=True)


# --- sensors ------------------------------------------------------------------------


@main.group()
def sensors() -> None:
    """List, register and re-key sensors."""


@sensors.command("list")
@click.option("--type", "device_type", help="imu, energy_meter, eye_tracker, environment, other")
@click.option("--status", help="active, inactive, error")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
@pass_context
@run
async def sensors_list(obj: Context, device_type: str | None, status: str | None, as_json: bool) -> None:
    async with obj.client() as api:
        found = await api.sensors.list(device_type=device_type, status=status)
    if as_json:
        for sensor in found:
            click.echo(sensor.model_dump_json())
        return
    click.echo(f"{'ID':<24} {'TYPE':<13} {'STATUS':<9} {'ONLINE':<7} {'LAST SEEN':<25} NAME")
    for sensor in found:
        seen = sensor.last_seen.isoformat(timespec="seconds") if sensor.last_seen else "-"
        click.echo(f"{sensor.id:<24} {sensor.device_type:<13} {sensor.status:<9} {'yes' if sensor.online else 'no':<7} "
                   f"{seen:<25} {sensor.name}")


@sensors.command("create")
@click.argument("sensor_id")
@click.option("--name", required=True)
@click.option("--type", "device_type", default="imu", show_default=True)
@click.option("--mac", "mac_address", help="AA:BB:CC:DD:EE:FF")
@click.option("--ble-profile")
@pass_context
@run
async def sensors_create(obj: Context, sensor_id: str, name: str, device_type: str, mac_address: str | None,
                         ble_profile: str | None) -> None:
    """Register a sensor; prints its device token (shown this once) on stdout."""
    async with obj.client() as api:
        created = await api.sensors.create(id=sensor_id, name=name, device_type=device_type, mac_address=mac_address,
                                           ble_profile=ble_profile)
    click.echo(f"Registered {created.id}. Device token (store it on the device; it is not shown again):", err=True)
    click.echo(created.token)


@sensors.command("rotate-token")
@click.argument("sensor_id")
@pass_context
@run
async def sensors_rotate_token(obj: Context, sensor_id: str) -> None:
    """New device token on stdout; the old one stops working at once."""
    async with obj.client() as api:
        click.echo(await api.sensors.rotate_token(sensor_id))


# --- readings -----------------------------------------------------------------------


@main.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--sensor", help="Sensor id for rows that name none.")
@click.option("--device-token", envvar="SENSORIUM_DEVICE_TOKEN", help="Send as the device instead of as you.")
@click.option("--batch-size", default=5000, show_default=True, type=click.IntRange(1, 10_000))
@click.option("--rejected-out", type=click.Path(dir_okay=False, path_type=Path),
              help="Write every rejected row with its reasons here (JSON lines).")
@pass_context
@run
async def ingest(obj: Context, file: Path, sensor: str | None, device_token: str | None, batch_size: int,
                 rejected_out: Path | None) -> None:
    """Import readings from FILE.csv (header row: sensor_id, timestamp, accel_x..gyro_z,
    battery_level, signal_strength, or metric columns; or timestamp,name,value) or FILE.jsonl
    (one reading per line, the wire format)."""
    async with obj.client() as api:
        with click.progressbar(length=file.stat().st_size, label=f"Importing {file.name}", file=sys.stderr,
                               show_pos=False, show_percent=True) as bar:
            summary = await import_file(api, file, default_sensor=sensor, device_token=device_token,
                                        batch_size=batch_size, on_progress=bar.update)
    _print_summary(summary, rejected_out)
    if summary.rejected:
        sys.exit(EXIT_PARTIAL)


def _print_summary(summary: ImportSummary, rejected_out: Path | None, shown: int = 20) -> None:
    click.echo(f"{summary.rows} rows: {summary.accepted} accepted, {len(summary.rejected)} rejected.", err=True)
    for row in summary.rejected[:shown]:
        click.echo(f"  line {row.line}: {row.reason}", err=True)
    if len(summary.rejected) > shown:
        click.echo(f"  … and {len(summary.rejected) - shown} more" +
                   (f" (all in {rejected_out})" if rejected_out else " (--rejected-out FILE lists all)"), err=True)
    if rejected_out:
        with rejected_out.open("w") as out:
            for row in summary.rejected:
                out.write(json.dumps({"line": row.line, "errors": row.errors, "row": row.raw}) + "\n")


def _moment(value: str | None, default: datetime) -> datetime:
    if value is None:
        return default
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        raise click.BadParameter(f"{value!r} has no time zone (add Z or +02:00)")
    return moment


@main.command()
@click.argument("sensor_id")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--start", help="ISO 8601 with a zone (default: 24 hours ago).")
@click.option("--end", help="ISO 8601 with a zone (default: now).")
@click.option("--kind", type=click.Choice(["imu", "metric", "blink"]))
@click.option("--metric", help="Only this metric (metric readings).")
@click.option("--s3", is_flag=True, help="Run a server-side export job (S3) and download its gzip CSV.")
@pass_context
@run
async def export(obj: Context, sensor_id: str, output: Path, start: str | None, end: str | None, kind: str | None,
                 metric: str | None, s3: bool) -> None:
    """Export a sensor's readings over a range to a CSV file."""
    now = datetime.now(timezone.utc)
    start_at, end_at = _moment(start, now - timedelta(hours=24)), _moment(end, now)
    async with obj.client() as api:
        if s3:
            job = await api.exports.wait((await api.exports.create(sensor=sensor_id, start=start_at, end=end_at,
                                                                   kind=kind)).id)
            if job.status != "done":
                fail(EXIT_SERVER, f"export {job.id} failed: {job.error}")
            size = await api.exports.download(job, output)
            click.echo(f"Wrote {job.rows} rows ({size} bytes, gzip CSV) to {output}.", err=True)
            return
        rows = await api.readings.download_csv(sensor_id, output, start=start_at, end=end_at,
                                               kind=None if kind == "blink" else kind, metric=metric)
    click.echo(f"Wrote {rows} rows to {output}.", err=True)


@main.command()
@click.argument("sensor_id")
@click.option("--max-fps", type=int, help="At most this many frames a second (the server batches the rest).")
@click.option("--count", type=int, help="Stop after this many readings.")
@click.option("--json", "as_json", is_flag=True, help="Print each frame as JSON.")
@pass_context
@run
async def tail(obj: Context, sensor_id: str, max_fps: int | None, count: int | None, as_json: bool) -> None:
    """Print a sensor's live readings as they arrive (Ctrl-C stops)."""
    seen = 0
    async with obj.client() as api:
        async for frame in live_frames(api, sensor_id, max_fps=max_fps):
            for reading in _readings_in(frame):
                click.echo(json.dumps(reading) if as_json else _reading_line(reading))
                seen += 1
                if count is not None and seen >= count:
                    return
            if frame.get("type") == "status":
                click.echo(f"# {sensor_id} {'online' if frame.get('online') else 'offline'}", err=True)
            elif frame.get("type") == "dropped":
                click.echo(f"# {frame.get('count')} frames dropped (slow terminal)", err=True)


def _readings_in(frame: dict) -> list[dict]:
    if frame.get("type") == "reading":
        return [frame]
    if frame.get("type") == "batch":
        return [inner for item in frame.get("frames", []) for inner in _readings_in(item)]
    return []


def _reading_line(reading: dict) -> str:
    parts = [str(reading.get("timestamp")), str(reading.get("sensor_id"))]
    for group in ("acceleration", "gyroscope"):
        if isinstance(reading.get(group), dict):
            vector = reading[group]
            parts.append(f"{group[:5]}=({vector.get('x')}, {vector.get('y')}, {vector.get('z')})")
    for key in ("battery_level", "signal_strength"):
        if reading.get(key) is not None:
            parts.append(f"{key}={reading[key]}")
    for name, value in (reading.get("metrics") or {}).items():
        parts.append(f"{name}={value}")
    return "  ".join(parts)


# --- products -----------------------------------------------------------------------


@main.group()
def products() -> None:
    """Record product events in plain words."""


async def _product_sentence(obj: Context, verb: str, expected: str, sentence: str) -> None:
    text = sentence if sentence.lower().startswith(verb) else f"{verb} {sentence}"
    async with obj.client() as api:
        preview = await api.products.command(text, dry_run=True)
        if preview.parsed.event_type != expected:
            fail(EXIT_REFUSED, f"{text!r} reads as {preview.parsed.event_type!r}, not {expected!r}: rephrase it")
        recorded = await api.products.command(text)
    click.echo(recorded.message)


@products.command("add")
@click.argument("sentence")
@pass_context
@run
async def products_add(obj: Context, sentence: str) -> None:
    """E.g. `sensorium products add "a cordless drill to garage shelf B"`."""
    await _product_sentence(obj, "add", "added", sentence)


@products.command("move")
@click.argument("sentence")
@pass_context
@run
async def products_move(obj: Context, sentence: str) -> None:
    """E.g. `sensorium products move "the drill to shelf B"`."""
    await _product_sentence(obj, "move", "moved", sentence)


@products.command("list")
@click.option("--search")
@pass_context
@run
async def products_list(obj: Context, search: str | None) -> None:
    async with obj.client() as api:
        for product in await api.products.list(search=search):
            click.echo(f"{product.id:<6} {product.name:<32} {product.status:<12} {product.location}")


if __name__ == "__main__":  # pragma: no cover
    main(prog_name=os.path.basename(sys.argv[0]))
