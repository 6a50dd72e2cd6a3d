// The energy page: per meter, daily kWh as bars and today's power as a banded line,
// drawn from the figures the server put in the page (the tables hold the same).
(function () {
  "use strict";

  const Charts = window.SensoriumCharts;
  const meters = JSON.parse(document.getElementById("energy-charts").textContent);
  const DAY = 86400;

  for (const meter of meters) {
    const panel = document.querySelector(`[data-meter="${CSS.escape(meter.sensorId)}"]`);
    // Bars sit on UTC noon so each one is centred on its day.
    const days = meter.days.map((day) => Date.parse(`${day}T12:00:00Z`) / 1000);
    Charts.chart(panel.querySelector('[data-chart="daily"]'), {
      title: "Energy per day (kWh)", days: true, yLabel: "kWh", barWidth: DAY,
      series: [Charts.bars("kWh", Charts.COLORS[0], "kWh")],
      data: [days.length ? days : [Date.now() / 1000 - DAY / 2], days.length ? meter.kwh : [null]],
    });
    const times = meter.powerTimes.map(Charts.seconds);
    Charts.chart(panel.querySelector('[data-chart="power"]'), {
      title: "Power today (W)", yLabel: "W",
      series: Charts.banded("Power", Charts.COLORS[1], "W"),
      bands: Charts.bandsFor(1, [Charts.COLORS[1]]),
      data: [times, meter.powerAvg, meter.powerMin, meter.powerMax],
      xRange: meter.powerRange.length === 2 ? meter.powerRange.map(Charts.seconds) : undefined,
    });
  }
})();
