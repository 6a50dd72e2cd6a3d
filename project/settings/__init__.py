"""Sensorium settings, read from the environment (and `.env` when present), one module per concern.

With nothing set this is the embedded default: SQLite in WAL mode under `var/`,
Channels' in-memory layer, Celery tasks run eagerly. Setting `DATABASE_URL`,
`REDIS_URL` and `CELERY_BROKER_URL` switches to the services stack. Every variable is
listed, with its default, in README.md and `.env.example`.

The modules are read in this order; a later one may use what an earlier one set.
"""

from .environment import *  # noqa: F401,F403
from .core import *  # noqa: F401,F403
from .auth import *  # noqa: F401,F403
from .database import *  # noqa: F401,F403
from .cache_and_queues import *  # noqa: F401,F403
from .api import *  # noqa: F401,F403
from .security import *  # noqa: F401,F403
from .logs import *  # noqa: F401,F403
from .storage import *  # noqa: F401,F403
from .telemetry import *  # noqa: F401,F403
from .live import *  # noqa: F401,F403
from .bluetooth import *  # noqa: F401,F403
from .alerts import *  # noqa: F401,F403
from .mqtt import *  # noqa: F401,F403
