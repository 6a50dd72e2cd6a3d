// Small helpers over uPlot shared by the dashboard pages: a chart in a labelled figure
// that follows its container's width, line/band/bar series, UTC time axes.
window.SensoriumCharts = (function () {
  "use strict";

  const COLORS = ["#0969da", "#cf222e", "#1a7f37", "#8250df", "#bc4c00", "#1b7c83"];

  function fill(color, alpha) {
    const n = parseInt(color.slice(1), 16);
    return `rgba(${n >> 16}, ${(n >> 8) & 255}, ${n & 255}, ${alpha})`;
  }

  function line(label, color, unit) {
    return { label, stroke: color, width: 1.5, value: (u, v) => format(v, unit) };
  }

  // Three series (average, minimum, maximum) and the band between min and max, so a
  // spike inside a bucket stays visible after downsampling.
  function banded(label, color, unit) {
    return [
      { label, stroke: color, width: 1.5, value: (u, v) => format(v, unit) },
      { label: `${label} min`, stroke: fill(color, 0.35), width: 1, value: (u, v) => format(v, unit) },
      { label: `${label} max`, stroke: fill(color, 0.35), width: 1, value: (u, v) => format(v, unit) },
    ];
  }

  function bandsFor(seriesCount, colors) {
    // Series 0 is time; each banded triple is (avg, min, max) starting at 1.
    const bands = [];
    for (let i = 0; i < seriesCount; i++) {
      const avg = 1 + i * 3;
      bands.push({ series: [avg + 2, avg + 1], fill: fill(colors[i], 0.12) });
    }
    return bands;
  }

  function bars(label, color, unit) {
    return {
      label, stroke: color, fill: fill(color, 0.75), width: 1,
      paths: uPlot.paths.bars({ size: [0.7, 60] }), points: { show: false },
      value: (u, v) => format(v, unit),
    };
  }

  function format(value, unit) {
    if (value == null || Number.isNaN(value)) return "—";
    const text = Math.abs(value) >= 100 ? value.toFixed(1) : value.toFixed(3);
    return unit ? `${text} ${unit}` : text;
  }

  // A figure with a visible caption; the chart redraws at its container's width.
  // `zone` is an IANA time zone for the time axis (default UTC). Bar charts pass
  // `barWidth` (seconds one bar covers): their y axis starts at zero and the first and
  // last bars are not cut in half at the edges.
  // `xRange` ([start, end] in seconds) shows the whole range asked for, not just the data.
  function chart(container, { title, series, data, bands, height, yLabel, days, zone, barWidth, xRange }) {
    const timeZone = zone || "Etc/UTC";
    const zoneLabel = timeZone === "Etc/UTC" || timeZone === "UTC" ? "UTC" : timeZone;
    const figure = document.createElement("figure");
    figure.className = bands && bands.length ? "chart banded" : "chart";
    const caption = document.createElement("figcaption");
    caption.textContent = title;
    const canvasHolder = document.createElement("div");
    canvasHolder.setAttribute("role", "img");
    canvasHolder.setAttribute("aria-label", `Chart: ${title}. The same figures are in the table.`);
    figure.append(caption, canvasHolder);
    container.append(figure);
    const options = {
      width: Math.max(240, container.clientWidth - 4),
      height: height || 220,
      tzDate: (seconds) => uPlot.tzDate(new Date(seconds * 1e3), timeZone),
      series: [{ label: `${days ? "Day" : "Time"} (${zoneLabel})` }, ...series],
      axes: [{}, { label: yLabel || "", size: 60 }],
      scales: barWidth ? {
        x: { time: true, range: (u, min, max) => [min - barWidth / 2, max + barWidth / 2] },
        y: { range: (u, min, max) => [0, max > 0 ? max * 1.1 : 1] },
      } : { x: xRange ? { time: true, range: () => xRange } : { time: true } },
      bands: bands || [],
      legend: { live: true },
      cursor: { drag: { x: true, y: false } },
    };
    const plot = new uPlot(options, data, canvasHolder);
    new ResizeObserver(() => {
      const width = Math.max(240, container.clientWidth - 4);
      if (Math.abs(width - plot.width) > 2) plot.setSize({ width, height: options.height });
    }).observe(container);
    return plot;
  }

  const seconds = (iso) => Date.parse(iso) / 1000;

  return { COLORS, chart, line, banded, bandsFor, bars, format, seconds };
})();
