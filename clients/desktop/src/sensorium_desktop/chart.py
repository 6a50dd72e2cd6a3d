"""Today's blinks per minute and screen time, per hour, from `/blink/stats` (pyqtgraph)."""

from __future__ import annotations

import pyqtgraph as pg

from sensorium_client.models import BlinkStats

BLINK_COLOR, SCREEN_COLOR = "#2f7ed8", "#8bbc21"


class TodayChart(pg.GraphicsLayoutWidget):
    def __init__(self):
        super().__init__()
        self.setBackground("w")
        self.setMinimumHeight(320)
        self.blinks = self.addPlot(row=0, col=0, title="Blinks per minute, by hour")
        self.screen = self.addPlot(row=1, col=0, title="Screen time (minutes), by hour")
        ticks = [[(hour, f"{hour:02d}") for hour in range(0, 24, 2)]]
        for plot in (self.blinks, self.screen):
            plot.setXRange(-0.6, 23.6, padding=0)
            plot.getAxis("bottom").setTicks(ticks)
            plot.showGrid(y=True, alpha=0.2)
            plot.setMouseEnabled(x=False, y=False)
            plot.hideButtons()
        self.screen.setXLink(self.blinks)
        self.screen.setYRange(0, 60, padding=0.05)
        self._bars: list[tuple[pg.PlotItem, pg.BarGraphItem]] = []
        self.hours: dict[int, tuple[float, float]] = {}

    def show_stats(self, stats: BlinkStats) -> None:
        for plot, bar in self._bars:
            plot.removeItem(bar)
        self._bars.clear()
        self.hours = {bucket.start.hour: (bucket.blinks_per_min or 0.0, bucket.tracked_s / 60)
                      for bucket in stats.buckets if bucket.records}
        hours = sorted(self.hours)
        rates = [self.hours[hour][0] for hour in hours]
        minutes = [self.hours[hour][1] for hour in hours]
        for plot, values, color in ((self.blinks, rates, BLINK_COLOR), (self.screen, minutes, SCREEN_COLOR)):
            bar = pg.BarGraphItem(x=hours, height=values, width=0.7, brush=color, pen=color)
            plot.addItem(bar)
            self._bars.append((plot, bar))
        self.blinks.setYRange(0, max([20.0, *rates]) * 1.1, padding=0)
