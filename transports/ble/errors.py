"""Turning the many ways "there is no Bluetooth here" surfaces into one human sentence."""

from __future__ import annotations

from bleak.exc import BleakBluetoothNotAvailableError, BleakDBusError, BleakError


class AdapterUnavailable(RuntimeError):
    """No usable Bluetooth adapter; the message is one line meant for a person."""


_DBUS_SERVICE_GONE = (
    "org.freedesktop.DBus.Error.ServiceUnknown",
    "org.freedesktop.DBus.Error.NameHasNoOwner",
)


def adapter_unavailable(exc: BaseException) -> AdapterUnavailable | None:
    """The AdapterUnavailable that `exc` amounts to, or None when it is some other failure."""
    if isinstance(exc, AdapterUnavailable):
        return exc
    if isinstance(exc, BleakBluetoothNotAvailableError):
        return AdapterUnavailable(f"Bluetooth is not available: {exc.args[0]}")
    if isinstance(exc, BleakDBusError):
        if exc.dbus_error in _DBUS_SERVICE_GONE:
            return AdapterUnavailable("Bluetooth is not available: the BlueZ daemon (bluetoothd) is not running on D-Bus.")
        if exc.dbus_error.startswith("org.bluez.Error.NotReady"):
            return AdapterUnavailable("Bluetooth is not available: the adapter is not ready (powered off?).")
        return None
    if isinstance(exc, BleakError):
        text = str(exc)
        if "adapter" in text.lower() and "not found" in text.lower():
            return AdapterUnavailable(f"Bluetooth is not available: {text}.")
        return None
    if isinstance(exc, (FileNotFoundError, ConnectionRefusedError)):
        return AdapterUnavailable(
            "Bluetooth is not available: cannot reach the D-Bus system bus (no BlueZ here?). "
            "Use --fake N or --replay FILE to run without a radio."
        )
    if isinstance(exc, PermissionError):
        return AdapterUnavailable("Bluetooth is not available: permission denied on the D-Bus system bus.")
    return None
