"""Bluetooth LE gateway: decoders, the asyncio listener, the fake radio and recordings.

Nothing in this package imports Django; the management command is the only Django-aware layer.
"""
