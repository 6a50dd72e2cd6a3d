// The command panel: POST /api/v1/sensors/<id>/commands, then follow each command's
// status (queued → sent → acked / failed / expired) by polling the list while any is open.
(function () {
  "use strict";

  const form = document.getElementById("command-form");
  const url = form.dataset.url;
  const feedback = document.getElementById("command-feedback");
  const tbody = document.querySelector("#command-list tbody");
  const csrfToken = form.querySelector("[name=csrfmiddlewaretoken]").value;
  const OPEN = new Set(["queued", "sent"]);
  const POLL_MS = 1000;
  let polling = null;

  form.hidden = false;

  const label = (status) => status.charAt(0).toUpperCase() + status.slice(1);
  const json = (value) => (value == null || (typeof value === "object" && !Object.keys(value).length) ? "—" : JSON.stringify(value));

  function cell(text, className) {
    const td = document.createElement("td");
    td.textContent = text;
    if (className) td.className = className;
    return td;
  }

  function rowFor(command) {
    const row = document.createElement("tr");
    row.dataset.commandId = command.id;
    const created = new Date(command.created_at);
    const time = Object.assign(document.createElement("time"), {
      dateTime: created.toISOString(), textContent: created.toISOString().replace("T", " ").slice(0, 19),
    });
    const when = document.createElement("td");
    when.append(time);
    const status = document.createElement("td");
    status.append(Object.assign(document.createElement("span"), {
      className: `command-status command-status-${command.status}`, textContent: label(command.status),
    }));
    row.append(when, cell(command.name, "mono"), cell(json(command.params), "mono"), status, cell(json(command.reply), "mono"));
    row.dataset.status = command.status;
    return row;
  }

  function show(commands) {
    tbody.querySelector(".command-none")?.remove();
    for (const command of [...commands].reverse()) {
      const fresh = rowFor(command);
      const existing = tbody.querySelector(`tr[data-command-id="${command.id}"]`);
      if (existing) existing.replaceWith(fresh); else tbody.prepend(fresh);
    }
  }

  function anyOpen() {
    return [...tbody.querySelectorAll("tr[data-command-id]")].some((row) => OPEN.has(row.dataset.status));
  }

  async function refresh() {
    const response = await fetch(url, { headers: { Accept: "application/json" } });
    if (response.ok) show((await response.json()).results);  // the newest page of the paginated list
    polling = anyOpen() ? setTimeout(refresh, POLL_MS) : null;
  }

  function fail(message, field) {
    feedback.className = "error";
    feedback.textContent = message;
    if (field) form.elements[field]?.setAttribute("aria-invalid", "true");
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    form.querySelectorAll("[aria-invalid]").forEach((input) => input.removeAttribute("aria-invalid"));
    let params = {};
    const rawParams = form.elements.params.value.trim();
    if (rawParams) {
      try { params = JSON.parse(rawParams); } catch (error) { params = null; }
      if (params === null || typeof params !== "object" || Array.isArray(params)) {
        fail('Parameters must be a JSON object, for example {"interval_ms": 100}.', "params");
        return;
      }
    }
    const response = await fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": csrfToken },
      body: JSON.stringify({ name: form.elements.name.value.trim(), params }),
    });
    const body = await response.json().catch(() => ({}));
    if (!response.ok) {
      const field = Object.keys(body.details || {})[0];
      fail(body.error || `The command was not sent (${response.status}).`, field);
      return;
    }
    feedback.className = "ok";
    feedback.textContent = `“${body.name}” queued for the device.`;
    show([body]);
    if (!polling) polling = setTimeout(refresh, POLL_MS);
  });

  if (anyOpen()) polling = setTimeout(refresh, POLL_MS);
})();
