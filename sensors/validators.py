import re

from django.core.exceptions import ValidationError

MAC_PATTERN = re.compile(r"^[0-9A-F]{2}([:-]?)[0-9A-F]{2}(\1[0-9A-F]{2}){4}$")
SENSOR_ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,49}$")


def mac_address_normalise(value: str) -> str:
    """Return `AA:BB:CC:DD:EE:FF` for any of aa:bb:.., AA-BB-.., aabbccddeeff."""
    candidate = (value or "").strip().upper()
    if not MAC_PATTERN.match(candidate):
        raise ValidationError(
            "Enter a MAC address as six hex pairs, e.g. AA:BB:CC:DD:EE:FF.", code="invalid_mac"
        )
    digits = re.sub(r"[:-]", "", candidate)
    return ":".join(digits[i : i + 2] for i in range(0, 12, 2))


def validate_sensor_id(value: str) -> None:
    # Sensor ids name channel groups and URL segments, so they stay in a safe alphabet.
    if not SENSOR_ID_PATTERN.match(value or ""):
        raise ValidationError(
            "Use 1-50 letters, digits, '-', '_' or '.', starting with a letter or digit.",
            code="invalid_sensor_id",
        )
