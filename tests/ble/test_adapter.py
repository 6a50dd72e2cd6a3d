"""No adapter, no D-Bus: one human sentence, never a traceback."""

from __future__ import annotations

import os

import pytest
from bleak.exc import BleakBluetoothNotAvailableError, BleakBluetoothNotAvailableReason, BleakDBusError, BleakError

from transports.ble.errors import AdapterUnavailable, adapter_unavailable
from transports.ble.listener import BleListener

from .conftest import Collected, make_listener

@pytest.mark.asyncio
async def test_listener_reports_a_missing_dbus_socket_as_adapter_unavailable(radio):
    radio.adapter_error = FileNotFoundError(2, "No such file or directory")
    with pytest.raises(AdapterUnavailable) as error:
        await make_listener(radio, Collected()).run()
    message = str(error.value)
    assert "\n" not in message
    assert message.startswith("Bluetooth is not available: cannot reach the D-Bus system bus")
    assert "--fake N" in message


@pytest.mark.parametrize(
    "raised, expected",
    [
        (
            BleakBluetoothNotAvailableError("No Bluetooth adapters found.", BleakBluetoothNotAvailableReason.NO_BLUETOOTH),
            "Bluetooth is not available: No Bluetooth adapters found.",
        ),
        (BleakDBusError("org.freedesktop.DBus.Error.ServiceUnknown", []), "the BlueZ daemon (bluetoothd) is not running"),
        (BleakDBusError("org.bluez.Error.NotReady", ["Resource Not Ready"]), "the adapter is not ready"),
        (BleakError("adapter 'hci1' not found"), "Bluetooth is not available: adapter 'hci1' not found."),
        (ConnectionRefusedError(111, "Connection refused"), "cannot reach the D-Bus system bus"),
        (PermissionError(13, "Permission denied"), "permission denied"),
    ],
)
@pytest.mark.asyncio
async def test_each_flavour_of_missing_bluetooth_becomes_one_line(radio, raised, expected):
    radio.adapter_error = raised
    with pytest.raises(AdapterUnavailable, match=expected.replace("(", r"\(").replace(")", r"\)")):
        await make_listener(radio, Collected()).run()


def test_other_failures_are_not_mistaken_for_a_missing_adapter():
    assert adapter_unavailable(BleakError("Characteristic 2a19 was not found!")) is None
    assert adapter_unavailable(BleakDBusError("org.bluez.Error.Failed", ["le-connection-abort-by-local"])) is None
    assert adapter_unavailable(ValueError("bad")) is None


@pytest.mark.asyncio
@pytest.mark.skipif(os.path.exists("/run/dbus/system_bus_socket"), reason="this machine has a D-Bus system bus; the real-backend check needs one without")
async def test_the_real_bleak_backend_on_a_machine_without_bluetooth():
    listener = BleListener(registry=list, ingest=Collected())
    with pytest.raises(AdapterUnavailable, match="cannot reach the D-Bus system bus"):
        await listener.run()
