"""Structured JSON logs with the request and task they belong to.

Every log record carries `request_id`, `user`, `sensor` and `task_id` when they are known:
a log record factory reads them from context variables, so they reach every handler
(stdout, the rotating file under var/log/, pytest's caplog) without per-logger setup.
`RequestContextMiddleware` sets the request's id (the caller's X-Request-ID when it is
sane, else a new one) and echoes it in the response.
"""

import contextvars
import json
import logging
import re
import traceback
import uuid
from contextlib import contextmanager
from datetime import datetime, timezone
from typing import Any

from django.utils.functional import SimpleLazyObject, empty

from core.middleware import HybridMiddleware
from core.storage import object_upload

REQUEST_ID_HEADER = "X-Request-ID"
_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
_request: contextvars.ContextVar[Any] = contextvars.ContextVar("log_request", default=None)
_request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("log_request_id", default=None)
_fields: contextvars.ContextVar[dict[str, Any]] = contextvars.ContextVar("log_fields", default={})
CONTEXT_FIELDS = ("request_id", "user", "sensor", "task_id")
# Attributes every LogRecord has; anything else on a record was passed in `extra=`.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime", *CONTEXT_FIELDS}


def request_id_current() -> str | None:
    return _request_id.get()


def request_id_choose(given: str) -> str:
    """The caller's X-Request-ID when it is sane, else a new one."""
    return given if _SAFE_REQUEST_ID.match(given) else uuid.uuid4().hex


@contextmanager
def log_context(**fields: Any):
    """Add fields (sensor="imu-001", user=7…) to every record logged inside the block."""
    token = _fields.set({**_fields.get(), **fields})
    try:
        yield
    finally:
        _fields.reset(token)


def _user_of(request) -> Any:
    # Only a user already resolved: evaluating a lazy session user here would query the
    # database from inside a log call (and fail in async code).
    user = request.__dict__.get("user")
    if isinstance(user, SimpleLazyObject):
        user = None if user._wrapped is empty else user._wrapped
    device_sensor = getattr(user, "sensor", None)
    if device_sensor is not None:
        return f"device:{device_sensor.pk}"
    return user.get_username() if getattr(user, "is_authenticated", False) else None


def _sensor_of(request) -> str | None:
    match = getattr(request, "resolver_match", None)
    kwargs = match.kwargs if match else {}
    return kwargs.get("sensor_id") or kwargs.get("device_id")


def _task_id() -> str | None:
    from celery import current_task

    task = current_task
    return getattr(task.request, "id", None) if task else None


def context_fields() -> dict[str, Any]:
    fields: dict[str, Any] = {"request_id": _request_id.get(), "user": None, "sensor": None, "task_id": None}
    request = _request.get()
    if request is not None:
        fields["user"] = _user_of(request)
        fields["sensor"] = _sensor_of(request)
    try:
        fields["task_id"] = _task_id()
    except Exception:  # a log call must never fail for want of context
        pass
    fields.update(_fields.get())
    return fields


_base_factory = logging.getLogRecordFactory()


def _record_with_context(*args, **kwargs) -> logging.LogRecord:
    record = _base_factory(*args, **kwargs)
    for name, value in context_fields().items():
        if not hasattr(record, name) or getattr(record, name) is None:
            setattr(record, name, value)
    return record


def log_record_factory_install() -> None:
    if logging.getLogRecordFactory() is not _record_with_context:
        logging.setLogRecordFactory(_record_with_context)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, the context fields, any
    `extra=` fields, and the traceback as `exc` when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name in CONTEXT_FIELDS:
            value = getattr(record, name, None)
            if value is not None:
                entry[name] = value
        for name, value in vars(record).items():
            if name not in _STANDARD and not name.startswith("_"):
                entry[name] = value
        if record.exc_info:
            entry["exc"] = "".join(traceback.format_exception(*record.exc_info)).rstrip()
        elif record.stack_info:
            entry["stack"] = record.stack_info
        return json.dumps(entry, default=str, ensure_ascii=False)


class RequestContextMiddleware(HybridMiddleware):
    """Gives each request an id (the caller's X-Request-ID if it is sane) for its log
    records, and returns it in the X-Request-ID response header."""

    def before(self, request):
        request_id = request_id_choose(request.headers.get(REQUEST_ID_HEADER, ""))
        request.request_id = request_id
        return _request_id.set(request_id), _request.set(request)

    def after(self, request, response, state) -> None:
        response[REQUEST_ID_HEADER] = request.request_id
        request_token, holder_token = state
        _request.reset(holder_token)
        _request_id.reset(request_token)


# --- Archiving rotated files to S3 ------------------------------------------------------

_ROTATED = re.compile(r"^(?P<stem>.+)\.log\.\d+$")
_CLAIMED_SUFFIX = ".uploading"


def log_files_claim(*, log_dir) -> list:
    """Rotated files (`daphne.log.1`…) renamed out of the rotation's way, plus files
    claimed earlier whose upload failed. Renaming first means a rotation happening
    meanwhile can never make us upload one file and delete another."""
    claimed = sorted(log_dir.glob(f"*{_CLAIMED_SUFFIX}"))
    for path in sorted(log_dir.iterdir()):
        if _ROTATED.match(path.name):
            target = path.with_name(f"{path.name}.{uuid.uuid4().hex[:8]}{_CLAIMED_SUFFIX}")
            try:
                path.rename(target)
            except FileNotFoundError:  # rotated away or claimed by another process meanwhile
                continue
            claimed.append(target)
    return claimed


def log_file_archive(*, path, bucket: str, host: str) -> str:
    """Upload one claimed file (gzip) under a key named by its content, then delete it.
    Uploading the same content twice writes the same key."""
    import gzip
    import hashlib
    import io


    data = path.read_bytes()
    stem = path.name.split(".log.")[0]
    day = datetime.fromtimestamp(path.stat().st_mtime, timezone.utc)
    key = f"{host}/{day:%Y/%m/%d}/{stem}-{hashlib.sha256(data).hexdigest()[:16]}.log.gz"
    object_upload(bucket=bucket, key=key, body=io.BytesIO(gzip.compress(data, mtime=0)),
                  content_type="application/gzip")
    path.unlink()
    return key
