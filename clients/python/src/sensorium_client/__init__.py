"""Sensorium's Python SDK. See the README's "Clients" section."""

from sensorium_client.client import SensoriumClient
from sensorium_client.device import CommandFailed, DeviceClient, DeviceCommand, DeviceRefused
from sensorium_client.errors import (
    ApiError, AuthenticationFailed, BadRequest, Conflict, NotFound, NotSignedIn, PayloadTooLarge, PermissionDenied,
    QueueFull, RateLimited, SensoriumError, ServerError, ServerUnreachable, Unprocessable, UnsupportedMediaType,
)
from sensorium_client.queue import OfflineQueue, QueueStatus, RejectedRecord, SyncReport, sync_forever
from sensorium_client.store import TokenStore
from sensorium_client.stream import live_frames

__version__ = "0.1.0"

__all__ = [
    "ApiError", "AuthenticationFailed", "BadRequest", "CommandFailed", "Conflict", "DeviceClient", "DeviceCommand",
    "DeviceRefused", "NotFound", "NotSignedIn", "OfflineQueue", "PayloadTooLarge", "PermissionDenied", "QueueFull",
    "QueueStatus", "RateLimited", "RejectedRecord", "SensoriumClient", "SensoriumError", "ServerError",
    "ServerUnreachable", "SyncReport", "TokenStore", "Unprocessable", "UnsupportedMediaType", "live_frames",
]
