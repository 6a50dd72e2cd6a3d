"""The main window: today's chart and totals, the tracker's controls, the sync status line."""

from __future__ import annotations

from PyQt6.QtCore import pyqtSignal
from PyQt6.QtWidgets import (
    QComboBox, QHBoxLayout, QLabel, QMainWindow, QPushButton, QStatusBar, QVBoxLayout, QWidget,
)

from sensorium_client.models import BlinkStats
from sensorium_desktop.chart import TodayChart


def duration(seconds: float) -> str:
    minutes = int(round(seconds / 60))
    return f"{minutes // 60} h {minutes % 60:02d} min" if minutes >= 60 else f"{minutes} min"


class MainWindow(QMainWindow):
    sign_out_requested = pyqtSignal()
    tracking_toggled = pyqtSignal(bool, str)  # on, source name

    def __init__(self, *, who: str, sources: dict[str, str | None]):
        """`sources`: name → None when usable, else the reason it is not."""
        super().__init__()
        self.setWindowTitle("Wellness at Work")
        self.resize(860, 620)
        body = QWidget()
        layout = QVBoxLayout(body)

        top = QHBoxLayout()
        self.who = QLabel(who)
        self.who.setObjectName("who")
        self.sign_out = QPushButton("Sign out")
        self.sign_out.setObjectName("sign_out")
        top.addWidget(self.who, 1)
        top.addWidget(self.sign_out)
        layout.addLayout(top)

        self.totals = QLabel("Today: no blinks tracked yet")
        self.totals.setObjectName("totals")
        self.totals.setStyleSheet("font-size: 18px; font-weight: 600; padding: 6px 0;")
        layout.addWidget(self.totals)
        self.chart = TodayChart()
        layout.addWidget(self.chart, 1)

        controls = QHBoxLayout()
        controls.addWidget(QLabel("Blink source"))
        self.source = QComboBox()
        self.source.setObjectName("source")
        for name, reason in sources.items():
            self.source.addItem(name if reason is None else f"{name} ({reason})", name)
            if reason is not None:
                item = self.source.model().item(self.source.count() - 1)
                item.setEnabled(False)
                item.setToolTip(reason)
        self.track = QPushButton("Start tracking")
        self.track.setObjectName("track")
        self.track.setCheckable(True)
        self.minute = QLabel("")
        self.minute.setObjectName("minute")
        controls.addWidget(self.source)
        controls.addWidget(self.track)
        controls.addWidget(self.minute, 1)
        layout.addLayout(controls)
        self.setCentralWidget(body)

        bar = QStatusBar()
        self.status_line = QLabel("Not synced yet")
        self.status_line.setObjectName("status_line")
        self.sync_now = QPushButton("Sync now")
        self.sync_now.setObjectName("sync_now")
        bar.addWidget(self.status_line, 1)
        bar.addPermanentWidget(self.sync_now)
        self.setStatusBar(bar)

        self.sign_out.clicked.connect(self.sign_out_requested)
        self.track.toggled.connect(self._toggled)

    def _toggled(self, on: bool) -> None:
        self.track.setText("Stop tracking" if on else "Start tracking")
        self.source.setEnabled(not on)
        if not on:
            self.minute.setText("")
        self.tracking_toggled.emit(on, self.source.currentData())

    def show_minute(self, blinks: int, seconds: float) -> None:
        self.minute.setText(f"This minute: {blinks} blinks ({int(seconds)} s)")

    def show_stats(self, stats: BlinkStats) -> None:
        self.chart.show_stats(stats)
        rate = stats.total.blinks_per_min
        if not stats.total.tracked_s:
            self.totals.setText("Today: no blinks tracked yet")
        else:
            self.totals.setText(f"Today: {rate:.1f} blinks per minute · {duration(stats.total.tracked_s)} "
                                "of screen time")

    def show_status(self, text: str) -> None:
        self.status_line.setText(text)
