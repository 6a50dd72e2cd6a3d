"""Live telemetry: the device socket (auth, pings, presence), viewer streams, commands.

The channel layer that carries it is chosen in cache_and_queues.py.
"""

from .environment import env

# --- Device sockets ------------------------------------------------------------------
DEVICE_AUTH_TIMEOUT = env.float("DEVICE_AUTH_TIMEOUT", default=10.0)
DEVICE_PING_INTERVAL = env.float("DEVICE_PING_INTERVAL", default=20.0)
DEVICE_IDLE_TIMEOUT = env.float("DEVICE_IDLE_TIMEOUT", default=60.0)
# Frames of one device broadcast but not yet acked (hand-over pending); past it the socket is not read.
DEVICE_MAX_UNACKED_FRAMES = env.int("DEVICE_MAX_UNACKED_FRAMES", default=256)

# --- Presence ------------------------------------------------------------------------
# last_message_at is written at most this often per device (not per frame).
DEVICE_PRESENCE_WRITE_INTERVAL = env.float("DEVICE_PRESENCE_WRITE_INTERVAL", default=5.0)
# The sweep marks offline a device silent this long (its server process may have died).
DEVICE_OFFLINE_AFTER = env.float("DEVICE_OFFLINE_AFTER", default=90.0)

# --- Viewer streams ------------------------------------------------------------------
LIVE_VIEWER_QUEUE = env.int("LIVE_VIEWER_QUEUE", default=256)
# Bytes a viewer's socket may hold unsent before its frames wait (and the oldest drop) in its queue.
LIVE_VIEWER_SEND_BUFFER_BYTES = env.int("LIVE_VIEWER_SEND_BUFFER_BYTES", default=256 * 1024)
LIVE_VIEWER_MAX_FPS = env.float("LIVE_VIEWER_MAX_FPS", default=60.0)

# --- Commands ------------------------------------------------------------------------
COMMAND_DEFAULT_TTL = env.int("COMMAND_DEFAULT_TTL", default=300)
COMMAND_MAX_TTL = env.int("COMMAND_MAX_TTL", default=7 * 24 * 3600)
