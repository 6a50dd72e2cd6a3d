"""Events the registry raises for the layers above it (transports provision brokers from
them). Sent once the change is committed, from whichever process made it.

`device_credentials_changed(sensor_id, token, active)`:
- `token`: the new plaintext device token when it was just issued (create, rotation), the
  only moment it exists outside the device; None otherwise;
- `active`: whether the sensor may send (False once deactivated).
A deleted sensor raises Django's own `post_delete` (on every path: API, admin, cascades).
Receivers must not raise into the caller's request: the change is already committed.
"""

from django.db import transaction
from django.dispatch import Signal

device_credentials_changed = Signal()


def device_credentials_announce(*, sensor_id: str, token: str | None = None, active: bool = True) -> None:
    transaction.on_commit(lambda: device_credentials_changed.send_robust(
        sender=None, sensor_id=sensor_id, token=token, active=active))
