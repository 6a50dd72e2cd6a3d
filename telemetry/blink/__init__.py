"""Wellness at Work: blink records from desktop eye trackers (track, offline sync, stats)."""
