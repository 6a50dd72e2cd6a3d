// The wellness page: blinks per minute per hour and per day as bars, from the figures
// the server put in the page (the tables below each chart hold the same).
(function () {
  "use strict";

  const Charts = window.SensoriumCharts;
  const figures = JSON.parse(document.getElementById("wellness-charts").textContent);

  for (const [key, title] of [["hourly", "Blinks per minute, per hour"], ["daily", "Blinks per minute, per day"]]) {
    const rows = figures[key];
    if (!rows.length) continue;
    Charts.chart(document.querySelector(`[data-chart="${key}"]`), {
      title, yLabel: "blinks/min", days: key === "daily", zone: figures.zone,
      barWidth: key === "daily" ? 86400 : 3600,
      series: [Charts.bars("Blinks per minute", Charts.COLORS[key === "daily" ? 3 : 0], "/min")],
      // Each bar is centred on its hour or day.
      data: [rows.map(([start]) => Charts.seconds(start) + (key === "daily" ? 43200 : 1800)), rows.map(([, rate]) => rate)],
    });
  }
})();
