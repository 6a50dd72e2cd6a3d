"""Energy meters' cumulative registers turned into the increments that `energy_kwh` means.

`energy_kwh` is the energy consumed since the sensor's previous reading (what the simulator
and HTTP devices send, and what the daily totals sum). A BLE SIG meter reports its register
instead (Energy 0x2AF2, Energy 32 0x2BA8): stored as `energy_total_kwh`, and each register
reading also gets `energy_kwh` = this register − the previous one of the same sensor.

- The previous register is kept per gateway run, seeded on a sensor's first reading from the
  newest stored `energy_total_kwh` (so a restarted gateway counts the energy used while it was
  down, all on its first reading after the restart).
- A first reading with no previous register gives no increment.
- A register that goes backwards is a meter reset or replacement (the uint32 Wh register wraps
  only after 4.29 GWh, decades for a panel meter, so a wrap is not guessed): no increment, the
  new value becomes the baseline. The energy between the last reading before the reset and the
  first after it cannot be known and is not counted.
- A reading not later than the previous register (a replay of older packets) gives no increment
  either and becomes the baseline.
- The state moves only past readings that ingest accepted, so a batch that could not be handed
  over (or a sensor that refused it) does not lose its energy from the next increment.

Framework-free: the seed lookup is injected (the gateway reads it from the database).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

logger = logging.getLogger(__name__)

REGISTER = "energy_total_kwh"
INCREMENT = "energy_kwh"

# (timestamp, register in kWh) of a sensor's newest stored register reading, or None.
Seed = Callable[[str], "tuple[datetime, float] | None"]
_UNSEEDED = object()


class EnergyRegisters:
    def __init__(self, *, seed: Seed) -> None:
        self._seed = seed
        self._last: dict[str, tuple[datetime, float] | None] = {}
        self.resets = 0

    def _previous(self, sensor_id: str) -> tuple[datetime, float] | None:
        previous = self._last.get(sensor_id, _UNSEEDED)
        if previous is _UNSEEDED:
            previous = self._last[sensor_id] = self._seed(sensor_id)
        return previous

    def readings_derive(self, readings: list[dict]) -> list[dict]:
        """The readings with `energy_kwh` added to each register reading that has an earlier,
        lower-or-equal previous register (in this batch or committed before). Pure: call
        `commit` with what ingest accepted to move on."""
        pending: dict[str, tuple[datetime, float]] = {}
        derived = []
        for reading in readings:
            metrics = reading.get("metrics")
            if not metrics or REGISTER not in metrics:
                derived.append(reading)
                continue
            sensor_id = reading["sensor_id"]
            moment, register = datetime.fromisoformat(reading["timestamp"]), metrics[REGISTER]
            previous = pending.get(sensor_id) or self._previous(sensor_id)
            pending[sensor_id] = (moment, register)
            if previous is None or moment <= previous[0]:
                derived.append(reading)
                continue
            if register < previous[1]:
                self.resets += 1
                logger.warning("sensor %s: energy register went back from %s to %s kWh (meter reset?); "
                               "counting from the new value", sensor_id, previous[1], register)
                derived.append(reading)
                continue
            derived.append(reading | {"metrics": metrics | {INCREMENT: round(register - previous[1], 6)}})
        return derived

    def commit(self, readings: list[dict], *, rejected: set[int]) -> None:
        """Remember each sensor's newest accepted register reading as its previous one."""
        for index, reading in enumerate(readings):
            metrics = reading.get("metrics")
            if index in rejected or not metrics or REGISTER not in metrics:
                continue
            self._last[reading["sensor_id"]] = (datetime.fromisoformat(reading["timestamp"]), metrics[REGISTER])
