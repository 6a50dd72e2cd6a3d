"""The one parser for datetimes that people and clients send to the API (query ranges,
exports, blink statistics): ISO 8601 with a zone, or epoch milliseconds, never naive.

Impossible values (minute 99, 30 February, a +25:00 offset) are refused with a message for
people; Django's parse_datetime raises a bare ValueError on them, which became 500s.
"""

from datetime import date, datetime, timezone

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

INVALID = "Use ISO 8601 with a zone (e.g. 2026-11-22T10:00:00Z) or epoch milliseconds."
NAIVE = "This time has no zone; add Z or an offset such as +01:00."
INVALID_DATE = "Use an ISO 8601 date such as 2026-11-30."


class MomentInvalid(ValueError):
    pass


def moment_parse(text: str) -> datetime:
    """An aware UTC datetime from ISO 8601 with a zone or epoch milliseconds."""
    text = str(text).strip()
    try:
        if text.lstrip("-").isdigit():
            return datetime.fromtimestamp(int(text) / 1000, tz=timezone.utc)
        # A "+01:00" offset left unescaped in a query string arrives as " 01:00".
        moment = datetime.fromisoformat(text.replace(" ", "+") if "T" in text else text)
    except (ValueError, OverflowError, OSError):
        raise MomentInvalid(INVALID) from None
    if moment.tzinfo is None:
        raise MomentInvalid(NAIVE)
    try:
        return moment.astimezone(timezone.utc)
    except OverflowError:  # 0001-01-01T00:00:00+01:00 is before the first representable UTC instant
        raise MomentInvalid(INVALID) from None


def day_parse(text: str) -> date:
    try:
        return date.fromisoformat(str(text).strip())
    except ValueError:
        raise MomentInvalid(INVALID_DATE) from None


@extend_schema_field(OpenApiTypes.DATETIME)
class AwareDateTimeField(serializers.Field):
    """A serializer field for moment_parse: the 400 names the field and says what to send."""

    def to_internal_value(self, data):
        try:
            return moment_parse(data)
        except MomentInvalid as exc:
            raise serializers.ValidationError(str(exc), code="invalid") from None

    def to_representation(self, value):
        return value.isoformat()
