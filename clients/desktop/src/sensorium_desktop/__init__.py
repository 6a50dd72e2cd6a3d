"""Wellness at Work: the Sensorium desktop app (PyQt6)."""

__version__ = "0.1.0"
