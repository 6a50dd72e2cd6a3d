// The wellness page: blinks per hour and per day as bars, from the figures the server
// put in the page (the tables below each chart hold the same).
(function () {
  "use strict";

  const Charts = window.SensoriumCharts;
  const figures = JSON.parse(document.getElementById("wellness-charts").textContent);
  const WIDTH = { hourly: 3600, daily: 86400 };

  for (const [key, title] of [["hourly", "Blinks per hour"], ["daily", "Blinks per day"]]) {
    const rows = figures[key];
    if (!rows.length) continue;
    Charts.chart(document.querySelector(`[data-chart="${key}"]`), {
      title, yLabel: "blinks", days: key === "daily", barWidth: WIDTH[key],
      series: [Charts.bars("Blinks", Charts.COLORS[key === "daily" ? 3 : 0], "")],
      // Each bar is centred on its hour or day.
      data: [rows.map(([start]) => Charts.seconds(start) + WIDTH[key] / 2), rows.map(([, blinks]) => blinks)],
    });
  }
})();
