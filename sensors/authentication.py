"""`Authorization: Device <token>`: how devices authenticate to ingest and sockets."""

from dataclasses import dataclass

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from sensors.models import Sensor
from sensors.selectors import sensor_get_by_token

DEVICE_KEYWORD = "Device"


@dataclass(frozen=True)
class DevicePrincipal:
    """Stands in for request.user when a device (not a person) is calling.

    It is authenticated but owns nothing and is never staff, so user-facing endpoints
    that filter by owner show it nothing.
    """

    sensor: Sensor
    is_authenticated: bool = True
    is_anonymous: bool = False
    is_active: bool = True
    is_staff: bool = False
    is_superuser: bool = False
    pk: None = None
    id: None = None

    def __str__(self) -> str:
        return f"device:{self.sensor.pk}"


def device_token_from_header(header: str) -> str | None:
    keyword, _, token = (header or "").partition(" ")
    if keyword != DEVICE_KEYWORD:
        return None
    return token.strip() or ""


class DeviceTokenAuthentication(authentication.BaseAuthentication):
    def authenticate(self, request):
        token = device_token_from_header(request.headers.get("Authorization", ""))
        if token is None:
            return None
        sensor = sensor_get_by_token(token=token)
        if sensor is None:
            raise exceptions.AuthenticationFailed("Invalid device token.")
        return DevicePrincipal(sensor=sensor), sensor

    def authenticate_header(self, request) -> str:
        return DEVICE_KEYWORD


class DeviceTokenScheme(OpenApiAuthenticationExtension):
    target_class = "sensors.authentication.DeviceTokenAuthentication"
    name = "deviceToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`Device <token>`: the token shown once when the sensor was registered.",
        }
