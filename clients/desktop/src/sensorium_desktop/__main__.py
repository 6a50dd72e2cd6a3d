"""`python -m sensorium_desktop`: the Wellness at Work app."""

import sys

from PyQt6.QtWidgets import QApplication

from sensorium_desktop.app import DesktopApp


def main() -> int:
    qt = QApplication(sys.argv)
    qt.setApplicationName("Wellness at Work")
    app = DesktopApp()
    app.start()
    qt.aboutToQuit.connect(app.shutdown)
    return qt.exec()


if __name__ == "__main__":
    sys.exit(main())
