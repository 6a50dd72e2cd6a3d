"""The BLE gateway (`manage.py ble_listen`) and collect jobs (POST /sensors/{id}/collect)."""

from django.core.exceptions import ImproperlyConfigured

from .environment import env

# --- Radio ---------------------------------------------------------------------------
# bleak: the real adapter. fake: the simulated radio, on which the sensors with simulated MAC
# addresses (02:5E:00:00:xx:xx, as `ble_listen --fake` registers them) are present.
BLUETOOTH_BACKEND = env.str("BLUETOOTH_BACKEND", default="bleak")
if BLUETOOTH_BACKEND not in ("bleak", "fake"):
    raise ImproperlyConfigured(f"BLUETOOTH_BACKEND must be 'bleak' or 'fake', not {BLUETOOTH_BACKEND!r}.")

# --- Connections ---------------------------------------------------------------------
BLUETOOTH_SCAN_TIMEOUT = env.float("BLUETOOTH_SCAN_TIMEOUT", default=10.0)
BLUETOOTH_RECONNECT_ATTEMPTS = env.int("BLUETOOTH_RECONNECT_ATTEMPTS", default=3)
BLUETOOTH_MAX_CONNECTIONS = env.int("BLUETOOTH_MAX_CONNECTIONS", default=5)

# --- Collect jobs --------------------------------------------------------------------
BLUETOOTH_COLLECT_MAX_SECONDS = env.int("BLUETOOTH_COLLECT_MAX_SECONDS", default=300)
