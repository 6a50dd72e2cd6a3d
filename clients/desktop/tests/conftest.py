"""The desktop app offscreen (QT_QPA_PLATFORM=offscreen) against a real Sensorium server.

PyQt6 needs a few system libraries even offscreen (libEGL, libxkbcommon, fontconfig…);
where one is missing the tests are skipped with the loader's own message as the reason.
"""

import os
import subprocess
import sys

import pytest

from sensorium_client.testing import LiveServer

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def qt_missing() -> str | None:
    """Why Qt cannot start here, or None. Probed in a child process: a platform plugin
    that fails to load aborts the process instead of raising."""
    probe = subprocess.run([sys.executable, "-c", "from PyQt6.QtWidgets import QApplication; QApplication([])"],
                           capture_output=True, text=True, timeout=60, env=dict(os.environ))
    if probe.returncode == 0:
        return None
    lines = [line.strip() for line in probe.stderr.splitlines() if line.strip()]
    telling = [line for line in lines if any(word in line.lower() for word in ("could not", "cannot", "error"))]
    return "PyQt6 cannot start offscreen on this machine: " + ((telling or lines or [f"exit {probe.returncode}"])[0])


QT_MISSING = qt_missing()

PASSWORDS = {"erin": "erin-pass-1", "frank": "frank-pass-1"}


def pytest_collection_modifyitems(items):
    if QT_MISSING:
        for item in items:
            item.add_marker(pytest.mark.skip(reason=QT_MISSING))


@pytest.fixture(scope="session")
def server():
    with LiveServer() as live:
        live.users(PASSWORDS)
        yield live
