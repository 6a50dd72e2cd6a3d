"""Typed exceptions. Every error the server answers carries its `{error, details}` body.

    try:
        await client.sensors.create(id="imu-001", name="Press")
    except Conflict as exc:
        print(exc.error, exc.details)   # "id: sensor with this id already exists." {"id": [...]}
"""

from __future__ import annotations

from typing import Any


class SensoriumError(Exception):
    """Base of everything this package raises."""


class ServerUnreachable(SensoriumError):
    """No answer: connection refused, DNS failure, timeout. Nothing is known to have happened."""


class ApiError(SensoriumError):
    """The server answered with an error status and (normally) the error shape."""

    status: int = 0

    def __init__(self, status: int, error: str, details: dict[str, Any] | None = None, *,
                 request_id: str | None = None, body: Any = None):
        self.status, self.error, self.details = status, error, details or {}
        self.request_id, self.body = request_id, body
        super().__init__(f"{status}: {error}")

    def field_errors(self) -> dict[str, list[str]]:
        """`details` flattened to `field -> messages` (nested fields joined with dots)."""
        flat: dict[str, list[str]] = {}

        def walk(prefix: str, value: Any) -> None:
            if isinstance(value, dict):
                for key, inner in value.items():
                    walk(f"{prefix}.{key}" if prefix else str(key), inner)
            elif isinstance(value, list) and all(isinstance(item, str) for item in value):
                flat[prefix] = list(value)
            else:
                flat[prefix] = [str(value)]

        walk("", self.details)
        return flat


class BadRequest(ApiError):
    status = 400


class AuthenticationFailed(ApiError):
    """401: no, expired or revoked credentials (after a refresh was tried), or a wrong password."""

    status = 401


class PermissionDenied(ApiError):
    status = 403


class NotFound(ApiError):
    """404: unknown, or someone else's object."""

    status = 404


class Conflict(ApiError):
    status = 409


class PayloadTooLarge(ApiError):
    status = 413


class UnsupportedMediaType(ApiError):
    status = 415


class Unprocessable(ApiError):
    """422: the request was well formed but nothing in it could be accepted."""

    status = 422


class RateLimited(ApiError):
    status = 429


class ServerError(ApiError):
    """5xx: the server failed (503: a dependency is down). Safe to retry idempotent calls."""

    status = 500


class NotSignedIn(SensoriumError):
    """The call needs a session and the token cache holds none for this server."""


class QueueFull(SensoriumError):
    """The offline queue reached its cap (or the disk is full): sync, or raise the cap."""


_BY_STATUS: dict[int, type[ApiError]] = {
    cls.status: cls for cls in (BadRequest, AuthenticationFailed, PermissionDenied, NotFound, Conflict,
                                PayloadTooLarge, UnsupportedMediaType, Unprocessable, RateLimited)
}


def error_from_response(status: int, body: Any, request_id: str | None = None) -> ApiError:
    """The typed exception for an error answer; a body not in the error shape is kept as is."""
    if isinstance(body, dict) and isinstance(body.get("error"), str):
        error, details = body["error"], body.get("details") if isinstance(body.get("details"), dict) else {}
    else:
        error, details = (str(body)[:200] if body else f"HTTP {status}"), {}
    cls = _BY_STATUS.get(status) or (ServerError if status >= 500 else ApiError)
    exc = cls(status, error, details, request_id=request_id, body=body)
    exc.status = status
    return exc
