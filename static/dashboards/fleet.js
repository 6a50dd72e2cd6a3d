// The fleet overview, live: /ws/fleet/ sends a snapshot of every sensor's presence, then
// one status frame per change; rows and the online count follow without a reload.
(function () {
  "use strict";

  const note = document.getElementById("fleet-live");
  const state = document.getElementById("fleet-live-state");
  const onlineCount = document.getElementById("count-online");
  const online = new Map();  // sensor id -> online, for every sensor the user may see

  note.hidden = false;

  function presence(isOnline) {
    return Object.assign(document.createElement("span"), {
      className: `presence presence-${isOnline ? "online" : "offline"}`,
      textContent: isOnline ? "Online" : "Offline",
    });
  }

  function lastSeen(iso) {
    const when = new Date(iso);
    return Object.assign(document.createElement("time"), {
      dateTime: when.toISOString(), title: when.toUTCString(),
      textContent: `${when.toISOString().replace("T", " ").slice(0, 19)} UTC`,
    });
  }

  function apply(status, { flash }) {
    const changed = online.get(status.sensor_id) !== Boolean(status.online);
    online.set(status.sensor_id, Boolean(status.online));
    const row = document.querySelector(`tr[data-sensor-id="${CSS.escape(status.sensor_id)}"]`);
    if (!row) return;
    row.querySelector(".connection").replaceChildren(presence(status.online));
    row.dataset.online = status.online ? "true" : "false";
    if (status.last_seen) row.querySelector(".last-seen").replaceChildren(lastSeen(status.last_seen));
    if (flash && changed) {
      row.classList.remove("flash");
      void row.offsetWidth;  // restart the animation
      row.classList.add("flash");
    }
  }

  function countOnline() {
    onlineCount.textContent = String([...online.values()].filter(Boolean).length);
  }

  function onFrame(frame) {
    if (frame.type === "snapshot") {
      online.clear();
      frame.sensors.forEach((status) => apply(status, { flash: false }));
    } else if (frame.type === "status") {
      apply(frame, { flash: true });
    } else {
      return;
    }
    countOnline();
  }

  const STATES = { open: "connected", reconnecting: "reconnecting…", refused: "signed out; reload the page" };
  window.sensoriumSocket("/ws/fleet/", { onFrame, onState: (name) => { state.textContent = STATES[name]; } });
})();
