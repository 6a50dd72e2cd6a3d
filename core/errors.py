"""One error shape for the whole API: {"error": "<one line>", "details": {field: [msg]}}."""

import logging
import re
from typing import Any

from django.core.exceptions import PermissionDenied, RequestDataTooBig, SuspiciousOperation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from django.http import Http404, JsonResponse
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler

from core.logs import request_id_current

logger = logging.getLogger(__name__)


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "Request body too large."
    default_code = "payload_too_large"


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "This conflicts with something already stored."
    default_code = "conflict"


# SQLite: "UNIQUE constraint failed: sensors_sensor.mac_address";
# PostgreSQL: "... DETAIL:  Key (mac_address)=(AA:BB:...) already exists."
_UNIQUE_FIELD_PATTERNS = (
    re.compile(r"UNIQUE constraint failed: \w+\.(\w+)"),
    re.compile(r"Key \((\w+)\)=\(.*\) already exists"),
)


def conflict_from_integrity_error(exc: IntegrityError) -> Conflict:
    """A 409 naming the field when a concurrent write won a uniqueness race."""
    text = str(exc)
    for pattern in _UNIQUE_FIELD_PATTERNS:
        match = pattern.search(text)
        if match:
            field = match.group(1)
            return Conflict({field: [f"A record with this {field} already exists."]})
    return Conflict()


def _token_error_message(detail: Any) -> Any:
    # simplejwt raises {"detail": msg, "code": ..., "messages": [...]}: only msg is for people.
    if isinstance(detail, dict) and "detail" in detail and "code" in detail:
        return detail["detail"]
    return detail


def error_body(message: str, details: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"error": message, "details": details or {}}


def _as_messages(value: Any) -> list[str]:
    if isinstance(value, (list, tuple)):
        flat: list[str] = []
        for item in value:
            flat.extend(_as_messages(item) if not isinstance(item, dict) else [str(item)])
        return flat
    return [str(value)]


def _details_from(detail: Any) -> dict[str, Any]:
    if isinstance(detail, dict):
        return {
            str(key): (_details_from(value) if isinstance(value, dict) else _as_messages(value))
            for key, value in detail.items()
        }
    return {}


def _summary(detail: Any, details: dict[str, Any], fallback: str) -> str:
    if not isinstance(detail, (dict, list)):
        return str(detail)
    if isinstance(detail, list) and detail:
        return str(detail[0])
    if details:
        field, messages = next(iter(details.items()))
        first = messages[0] if isinstance(messages, list) and messages else "invalid"
        if isinstance(messages, dict):
            first = "invalid"
        if field == "non_field_errors":
            return str(first)
        return f"{field}: {first}"
    return fallback


def api_exception_handler(exc: Exception, context: dict) -> Response | None:
    """DRF exception handler that renders every error in the one shape."""
    if isinstance(exc, RequestDataTooBig):
        exc = PayloadTooLarge(str(exc) or PayloadTooLarge.default_detail)
    elif isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )
    elif isinstance(exc, IntegrityError):
        exc = conflict_from_integrity_error(exc)
    elif isinstance(exc, SuspiciousOperation):
        exc = exceptions.ParseError(str(exc))
    elif isinstance(exc, Http404):
        # DRF would turn these into {"detail": ...} bodies; keep the one shape instead.
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()

    response = exception_handler(exc, context)
    if response is None:
        # The traceback goes to the log under the request id; the client gets only the id.
        logger.exception("Unhandled error in %s", context.get("view").__class__.__name__)
        return Response(error_body(_server_error_message()), status=status.HTTP_500_INTERNAL_SERVER_ERROR)

    detail = _token_error_message(exc.detail if isinstance(exc, exceptions.APIException) else response.data)
    details = _details_from(detail)
    fallback = response.status_text if hasattr(response, "status_text") else "Request failed."
    response.data = error_body(_summary(detail, details, fallback), details)
    return response


def json_error(message: str, status_code: int, details: dict | None = None) -> JsonResponse:
    return JsonResponse(error_body(message, details), status=status_code)


def not_found(request, exception: Exception | None = None):
    if request.path.startswith("/api/"):
        return json_error("Not found.", 404)
    from django.views.defaults import page_not_found

    return page_not_found(request, exception)


def _server_error_message() -> str:
    request_id = request_id_current()
    return f"Internal server error (request id {request_id})." if request_id else "Internal server error."


def server_error(request):
    if request.path.startswith("/api/"):
        return json_error(_server_error_message(), 500)
    from django.views.defaults import server_error as html_server_error

    return html_server_error(request)


def bad_request(request, exception: Exception | None = None):
    if request.path.startswith("/api/"):
        if isinstance(exception, RequestDataTooBig):
            return json_error("Request body too large.", 413)
        return json_error(str(exception) or "Bad request.", 400)
    from django.views.defaults import bad_request as html_bad_request

    return html_bad_request(request, exception)


def permission_denied(request, exception: Exception | None = None):
    if request.path.startswith("/api/"):
        return json_error(str(exception) or "Permission denied.", 403)
    from django.views.defaults import permission_denied as html_permission_denied

    return html_permission_denied(request, exception)


__all__ = [
    "Conflict",
    "Http404",
    "PayloadTooLarge",
    "PermissionDenied",
    "api_exception_handler",
    "error_body",
    "json_error",
]
