"""One connected device's GATT conversation: read the battery, subscribe to (or poll) the
profile's characteristics, send its start commands, then serve until the link drops, the
device stalls or the listener stops; and undo it all on the way out.

Packets go to the listener's PacketWriter (writer.py); the listener owns the connection
itself (lease, slots, establish_connection) and the reconnect policy.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from bleak import BleakClient
from bleak.backends.characteristic import BleakGATTCharacteristic

from .decoders.battery import BATTERY_LEVEL
from .link import LINK_ERRORS, ListenerSettings, ProfileMismatch, _Connected, _Packet, _Supervisor, _wait_first
from .pipeline import Counters, Session
from .writer import PacketWriter

logger = logging.getLogger(__name__)


class GattConversation:
    def __init__(self, *, client: BleakClient, session: Session, supervisor: _Supervisor, settings: ListenerSettings,
                 counters: Counters, packets: PacketWriter, clock: Callable[[], float], now: Callable[[], float],
                 stop: asyncio.Event, quietly: Callable[[Awaitable[Any], str], Awaitable[None]]) -> None:
        self.client, self.session, self.supervisor = client, session, supervisor
        self.settings, self.counters, self.packets = settings, counters, packets
        self._clock, self._now, self._stop, self._quietly = clock, now, stop, quietly
        self.subscribed: list[BleakGATTCharacteristic] = []

    async def serve(self, disconnected: asyncio.Event) -> None:
        client, session, supervisor, settings = self.client, self.session, self.supervisor, self.settings
        timeout = settings.operation_timeout
        self.packets.put(_Connected(session, self._clock()))
        services = client.services
        battery = services.get_characteristic(BATTERY_LEVEL)
        if battery is not None:
            await self._read_battery(battery)
        polled: list[BleakGATTCharacteristic] = []
        on_notify = self._notify_callback()
        for uuid in session.decoder.characteristics:
            characteristic = services.get_characteristic(uuid)
            if characteristic is None:
                continue
            if {"notify", "indicate"} & set(characteristic.properties):
                await asyncio.wait_for(client.start_notify(characteristic, on_notify), timeout)
                self.subscribed.append(characteristic)
            elif "read" in characteristic.properties:
                polled.append(characteristic)
        if not self.subscribed and not polled:
            raise ProfileMismatch(f"device exposes none of the {session.decoder.profile} characteristics")
        for uuid, payload in session.decoder.start_commands():
            await asyncio.wait_for(client.write_gatt_char(uuid, payload, response=True), timeout)
        supervisor.serving.set()

        now = self._now()
        supervisor.last_packet = now
        next_poll = now
        next_battery = now + settings.battery_interval
        while not supervisor.stop.is_set() and not self._stop.is_set():
            if disconnected.is_set() or not client.is_connected:
                logger.info("sensor %s disconnected", session.sensor_id)
                return
            now = self._now()
            if now - supervisor.last_packet > settings.stall_timeout:
                self.counters.stalls += 1
                logger.warning("sensor %s silent for %.1f s: reconnecting", session.sensor_id, now - supervisor.last_packet)
                return
            if polled and now >= next_poll:
                for characteristic in polled:
                    await self._read(characteristic)
                supervisor.last_packet = self._now()
                next_poll = now + settings.poll_interval
            if battery is not None and now >= next_battery:
                await self._read_battery(battery)
                next_battery = now + settings.battery_interval
            deadlines = [supervisor.last_packet + settings.stall_timeout, next_battery]
            if polled:
                deadlines.append(next_poll)
            await _wait_first(disconnected, supervisor.stop, self._stop, timeout=max(0.0, min(deadlines) - self._now()))

    async def teardown(self) -> None:
        client, session = self.client, self.session
        if client.is_connected:
            for uuid, payload in session.decoder.stop_commands():
                await self._quietly(client.write_gatt_char(uuid, payload, response=True), "stop the stream")
            for characteristic in self.subscribed:
                await self._quietly(client.stop_notify(characteristic), "unsubscribe")
        await self._quietly(client.disconnect(), "disconnect")

    async def _read(self, characteristic: BleakGATTCharacteristic) -> None:
        data = await asyncio.wait_for(self.client.read_gatt_char(characteristic), self.settings.operation_timeout)
        self.packets.put(_Packet(self.session, self.client.address, characteristic.uuid, self._clock(), bytes(data)))

    async def _read_battery(self, battery: BleakGATTCharacteristic) -> None:
        # Optional extra: a device that refuses the read still streams its data.
        try:
            await self._read(battery)
        except LINK_ERRORS as error:
            logger.debug("sensor %s: battery read failed: %r", self.session.sensor_id, error)

    def _notify_callback(self) -> Callable[[BleakGATTCharacteristic, bytearray], None]:
        supervisor, session, address = self.supervisor, self.session, self.client.address

        def on_notify(characteristic: BleakGATTCharacteristic, data: bytearray) -> None:
            supervisor.last_packet = self._now()
            self.packets.put(_Packet(session, address, characteristic.uuid, self._clock(), bytes(data)))

        return on_notify
