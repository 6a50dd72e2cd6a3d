// The open-alarms banner, live: /ws/fleet/ sends {"type": "alarm", "event": "raised" |
// "acknowledged" | "cleared", "alarm": {...}, "open_alarms": n}; the banner follows without
// a reload. Acknowledge is a plain form post, so it works without this script too.
(function () {
  "use strict";

  const banner = document.getElementById("alarm-banner");
  if (!banner || !window.sensoriumSocket) return;
  const list = document.getElementById("alarm-list");
  const count = document.getElementById("alarm-count");
  const plural = document.getElementById("alarm-plural");
  const sensorId = banner.dataset.sensorId;
  const SHOWN = 5;

  function acknowledgeForm(alarm) {
    const form = Object.assign(document.createElement("form"), {
      method: "post", action: banner.dataset.acknowledgeUrl.replace("/0/", `/${alarm.id}/`),
    });
    for (const [name, value] of [["csrfmiddlewaretoken", document.getElementById("alarm-csrf").value],
                                 ["next", banner.dataset.next]]) {
      form.append(Object.assign(document.createElement("input"), { type: "hidden", name, value }));
    }
    form.append(Object.assign(document.createElement("button"), { type: "submit", textContent: "Acknowledge" }));
    return form;
  }

  function item(alarm) {
    const li = Object.assign(document.createElement("li"), { className: `alarm alarm-${alarm.severity}` });
    li.dataset.alarmId = alarm.id;
    const label = alarm.severity.charAt(0).toUpperCase() + alarm.severity.slice(1);
    const state = alarm.state.charAt(0).toUpperCase() + alarm.state.slice(1);
    li.append(Object.assign(document.createElement("span"), { className: `severity severity-${alarm.severity}`, textContent: label }),
              " ", Object.assign(document.createElement("span"), { className: "alarm-message", textContent: alarm.message }),
              " ", Object.assign(document.createElement("span"), { className: "alarm-state", textContent: state }));
    if (alarm.state === "active") li.append(acknowledgeForm(alarm));
    return li;
  }

  function show(total) {
    count.textContent = total;
    plural.textContent = total === 1 ? "" : "s";
    banner.hidden = total === 0;
  }

  function apply(frame) {
    const alarm = frame.alarm;
    if (sensorId && alarm.sensor !== sensorId) return;
    const existing = list.querySelector(`li[data-alarm-id="${alarm.id}"]`);
    if (alarm.state === "cleared") {
      if (existing) existing.remove();
    } else if (existing) {
      existing.replaceWith(item(alarm));
    } else {
      list.prepend(item(alarm));
      while (list.children.length > SHOWN) list.lastElementChild.remove();
    }
    // A sensor has few rules, so its list holds all its open alarms; the fleet's total comes with the frame.
    show(sensorId ? list.children.length : frame.open_alarms);
    banner.classList.remove("flash");
    void banner.offsetWidth;  // restart the animation
    banner.classList.add("flash");
  }

  window.sensoriumSocket("/ws/fleet/", {
    onFrame: (frame) => { if (frame.type === "alarm") apply(frame); },
    onState: (name) => { banner.dataset.live = name; },  // "open" once frames can arrive
  });
})();
