// The sensor page: a live chart fed by /ws/data/stream/<id>/, the history chart of the
// chosen range from the bucketed readings API, and the table kept in step with it.
(function () {
  "use strict";

  const config = JSON.parse(document.getElementById("sensor-config").textContent);
  const Charts = window.SensoriumCharts;
  const UNITS = { acceleration: "m/s²", gyroscope: "°/s", voltage: "V", current: "A", power: "W",
                  energy_kwh: "kWh", temperature: "°C", humidity: "%", pressure: "hPa" };
  const IMU_GROUPS = [
    { key: "acceleration", title: "Acceleration (m/s²)", columns: ["accel_x", "accel_y", "accel_z"] },
    { key: "gyroscope", title: "Angular rate (°/s)", columns: ["gyro_x", "gyro_y", "gyro_z"] },
  ];
  const AXES = ["x", "y", "z"];

  // --- Live ---------------------------------------------------------------------------
  const LIVE_POINTS = 600;  // per series: about a minute at 10 readings/s
  const liveSection = document.getElementById("live");
  const liveState = document.getElementById("live-state");
  const liveCharts = document.getElementById("live-charts");
  const counter = document.getElementById("frames-received");
  const latestValues = document.getElementById("latest-body");
  const groups = new Map();  // chart key -> {plot, data, labels}
  let received = 0;
  let newest = 0;
  let dirty = false;

  liveSection.hidden = false;

  function liveValues(reading) {
    if (reading.acceleration) {
      return IMU_GROUPS.map((group) => ({
        key: group.key, title: group.title, labels: AXES,
        values: AXES.map((axis) => reading[group.key][axis]),
      }));
    }
    return Object.entries(reading.metrics || {}).map(([name, value]) => ({
      key: name, title: UNITS[name] ? `${name} (${UNITS[name]})` : name, labels: [name], values: [value],
    }));
  }

  function liveChart(entry) {
    let group = groups.get(entry.key);
    if (!group) {
      const data = [[], ...entry.labels.map(() => [])];
      const series = entry.labels.map((label, i) => Charts.line(label, Charts.COLORS[i], ""));
      const plot = Charts.chart(liveCharts, { title: `${entry.title}, live`, series, data, height: 180 });
      group = { plot, data };
      groups.set(entry.key, group);
    }
    return group;
  }

  // Where t goes in the sorted times: at the end, unless a reading arrived late.
  function position(times, t) {
    let low = 0;
    let high = times.length;
    if (!high || times[high - 1] <= t) return high;
    while (low < high) {
      const middle = (low + high) >> 1;
      if (times[middle] <= t) low = middle + 1; else high = middle;
    }
    return low;
  }

  function onReading(reading) {
    received += 1;
    const t = Charts.seconds(reading.timestamp);
    for (const entry of liveValues(reading)) {
      const { data } = liveChart(entry);
      const at = position(data[0], t);
      data[0].splice(at, 0, t);
      entry.values.forEach((value, i) => data[i + 1].splice(at, 0, value));
      if (data[0].length > LIVE_POINTS) data.forEach((column) => column.splice(0, column.length - LIVE_POINTS));
    }
    if (t >= newest) {
      newest = t;
      latestUpdate(reading);
    }
    dirty = true;
  }

  // Draw at most once per animation frame however fast readings arrive.
  function draw() {
    if (dirty) {
      dirty = false;
      counter.value = String(received);
      for (const { plot, data } of groups.values()) plot.setData(data);
    }
    requestAnimationFrame(draw);
  }
  requestAnimationFrame(draw);

  function latestUpdate(reading) {
    const when = new Date(Charts.seconds(reading.timestamp) * 1000);
    const stamp = () => Object.assign(document.createElement("time"), {
      dateTime: when.toISOString(), textContent: `${when.toISOString().replace("T", " ").slice(0, 19)} UTC`,
    });
    document.getElementById("last-seen").replaceChildren(stamp());
    latestValues.replaceChildren(
      Object.assign(document.createElement("p"), { className: "muted" }),
      Object.assign(document.createElement("dl"), { className: "facts" }));
    latestValues.firstChild.append("At ", stamp());
    for (const entry of liveValues(reading)) {
      entry.labels.forEach((label, i) => {
        const item = document.createElement("div");
        const unit = entry.key in UNITS ? ` ${UNITS[entry.key]}` : "";
        const name = entry.labels.length > 1 ? `${entry.title.split(" (")[0]} ${label}` : label;
        item.append(Object.assign(document.createElement("dt"), { textContent: name }),
                    Object.assign(document.createElement("dd"), { textContent: `${Charts.format(entry.values[i])}${unit}` }));
        latestValues.lastChild.append(item);
      });
    }
    if (reading.battery_level != null) document.getElementById("battery").textContent = `${reading.battery_level} %`;
    if (reading.signal_strength != null) document.getElementById("signal").textContent = `${reading.signal_strength} dBm`;
  }

  function onStatus(status) {
    const cell = document.getElementById("connection");
    const online = Boolean(status.online);
    cell.replaceChildren(Object.assign(document.createElement("span"), {
      className: `presence presence-${online ? "online" : "offline"}`, textContent: online ? "Online" : "Offline",
    }));
  }

  function onFrame(frame) {
    if (frame.type === "reading") onReading(frame);
    else if (frame.type === "batch") frame.frames.forEach(onFrame);
    else if (frame.type === "status") onStatus(frame);
    else if (frame.type === "dropped") liveState.textContent = `Live (skipped ${frame.total} readings to keep up)`;
  }

  const STATES = { open: "Live", reconnecting: "Disconnected; reconnecting…",
                   refused: "Not allowed to watch this sensor live (signed out?)" };
  window.sensoriumSocket(`${config.streamPath}?max_fps=20`, {
    onFrame, onState: (name) => { liveState.textContent = STATES[name]; },
  });
  // The reading stream reports presence once, at connect; changes come on the fleet stream.
  window.sensoriumSocket("/ws/fleet/", {
    onFrame: (frame) => {
      const mine = frame.type === "snapshot" ? frame.sensors.find((status) => status.sensor_id === config.sensorId)
        : frame.type === "status" && frame.sensor_id === config.sensorId ? frame : null;
      if (mine) onStatus(mine);
    },
    onState: () => {},
  });

  // --- History ------------------------------------------------------------------------
  const form = document.getElementById("range-form");
  const customBox = document.getElementById("range-custom");
  const historyCharts = document.getElementById("history-charts");
  const help = document.getElementById("range-help");
  const csvLink = document.getElementById("csv-link");
  const summary = document.querySelector("details.data-table summary");

  function bucketFor(seconds) {
    for (const [name, width] of Object.entries(config.buckets)) {
      if (seconds / width <= config.maxPoints) return name;
    }
    return Object.keys(config.buckets).pop();
  }

  function chosenRange() {
    const name = form.elements.range.value;
    if (name !== "custom") {
      const end = new Date();
      return { name, start: new Date(end - config.presets[name] * 1000), end };
    }
    const asUtc = (value) => (value ? new Date(`${value}:00Z`) : null);
    const start = asUtc(form.elements.start.value);
    const end = asUtc(form.elements.end.value) || new Date();
    if (!start || Number.isNaN(start.valueOf()) || end <= start) return null;
    return { name, start, end };
  }

  function showCustom() {
    customBox.hidden = form.elements.range.value !== "custom";
  }

  async function load(range) {
    const bucket = bucketFor((range.end - range.start) / 1000);
    const params = new URLSearchParams({
      start: range.start.toISOString(), end: range.end.toISOString(),
      bucket, order: "oldest", limit: "10000",
    });
    csvLink.href = `${config.dataUrl}?${new URLSearchParams({
      start: range.start.toISOString(), end: range.end.toISOString(), format: "csv" })}`;
    help.textContent = `Averages per ${bucket} bucket with the minimum–maximum band, at most ${config.maxPoints.toLocaleString("en")} points per series. Times in UTC.`;
    historyCharts.setAttribute("aria-busy", "true");
    const response = await fetch(`${config.dataUrl}?${params}`, { headers: { Accept: "application/json" } });
    historyCharts.removeAttribute("aria-busy");
    if (!response.ok) {
      const body = await response.json().catch(() => ({}));
      historyCharts.replaceChildren(Object.assign(document.createElement("p"), {
        className: "error", role: "alert", textContent: body.error || `The history could not be loaded (${response.status}).`,
      }));
      return;
    }
    const body = await response.json();
    drawHistory(body.results, [range.start / 1000, range.end / 1000]);
  }

  function historySeries(rows) {
    // -> [{title, labels, columns: [[avg...], [min...], [max...]] per label}], times
    const times = [];
    const seenTimes = new Map();
    if (config.kind === "imu") {
      rows.forEach((row) => times.push(Charts.seconds(row.timestamp)));
      const charts = IMU_GROUPS.map((group) => ({
        title: group.title, labels: AXES, unit: UNITS[group.key],
        columns: group.columns.map((column) => ["avg", "min", "max"].map((stat) => rows.map((row) => row[column][stat]))),
      }));
      return { times, charts, counts: rows.map((row) => row.count) };
    }
    const names = [...new Set(rows.map((row) => row.name))].sort();
    rows.forEach((row) => {
      if (!seenTimes.has(row.timestamp)) { seenTimes.set(row.timestamp, times.length); times.push(Charts.seconds(row.timestamp)); }
    });
    const empty = () => times.map(() => null);
    const charts = names.map((name) => ({
      title: UNITS[name] ? `${name} (${UNITS[name]})` : name, labels: [name], unit: UNITS[name] || "",
      columns: [[empty(), empty(), empty()]],
    }));
    const counts = empty();
    rows.forEach((row) => {
      const i = seenTimes.get(row.timestamp);
      const chart = charts[names.indexOf(row.name)];
      chart.columns[0][0][i] = row.avg; chart.columns[0][1][i] = row.min; chart.columns[0][2][i] = row.max;
      counts[i] = Math.max(counts[i] || 0, row.count);
    });
    return { times, charts, counts };
  }

  function drawHistory(rows, xRange) {
    historyCharts.replaceChildren();
    const { times, charts, counts } = historySeries(rows);
    tableUpdate(times, charts, counts);
    if (!times.length) {
      historyCharts.append(Object.assign(document.createElement("p"), { textContent: "No readings in this range." }));
      return;
    }
    for (const chart of charts) {
      const colors = chart.labels.map((_, i) => Charts.COLORS[i]);
      const series = chart.labels.flatMap((label, i) => Charts.banded(label, colors[i], chart.unit));
      const data = [times, ...chart.columns.flat()];
      Charts.chart(historyCharts, {
        title: chart.title, series, data, xRange, bands: Charts.bandsFor(chart.labels.length, colors) });
    }
  }

  function cell(tag, text, className) {
    const node = document.createElement(tag);
    node.textContent = text;
    if (className) node.className = className;
    return node;
  }

  function tableUpdate(times, charts, counts) {
    summary.textContent = `Table of the ${times.length} bucket${times.length === 1 ? "" : "s"} shown (UTC)`;
    const details = summary.parentElement;
    const header = [cell("th", "Bucket start (UTC)"), cell("th", "Readings", "num")];
    charts.forEach((chart) => chart.labels.forEach((label) => {
      header.push(cell("th", chart.labels.length > 1 ? `${chart.title.split(" (")[0]} ${label}` : chart.title, "num"));
    }));
    header.forEach((th) => th.setAttribute("scope", "col"));
    const body = times.map((t, i) => {
      const row = document.createElement("tr");
      row.append(cell("td", new Date(t * 1000).toISOString().replace("T", " ").slice(0, 19)), cell("td", String(counts[i] ?? ""), "num"));
      charts.forEach((chart) => chart.columns.forEach(([avg, min, max]) => {
        row.append(cell("td", avg[i] == null ? "—" : `${Charts.format(avg[i])} (${Charts.format(min[i])} – ${Charts.format(max[i])})`, "num"));
      }));
      return row;
    });
    const fresh = document.createElement("table");
    fresh.id = "history-table";
    const head = document.createElement("thead");
    head.append(document.createElement("tr"));
    head.firstChild.append(...header);
    const tbody = document.createElement("tbody");
    tbody.append(...body);
    fresh.append(head, tbody);
    const old = details.querySelector(".table-scroll, p");
    const wrapper = Object.assign(document.createElement("div"), { className: "table-scroll" });
    wrapper.append(fresh);
    if (old) old.replaceWith(wrapper); else details.append(wrapper);
  }

  function apply() {
    const range = chosenRange();
    if (!range) return false;
    const query = new URLSearchParams({ range: range.name });
    if (range.name === "custom") { query.set("start", form.elements.start.value); query.set("end", form.elements.end.value); }
    history.replaceState(null, "", `?${query}`);
    load(range);
    return true;
  }

  form.addEventListener("change", (event) => {
    showCustom();
    if (event.target.name === "range" && event.target.value !== "custom") apply();
  });
  form.addEventListener("submit", (event) => {
    if (apply()) event.preventDefault();  // an invalid custom range goes to the server, which says why
  });
  showCustom();
  load({ start: new Date(config.start), end: new Date(config.end) });
})();
