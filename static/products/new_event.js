// The sentence box on /products/new-event/: a typed or spoken sentence is parsed by the
// server (POST /api/v1/products/commands with dry_run), shown for confirmation, and only
// then recorded, by submitting the ordinary form below it filled with the parse.
(function () {
  "use strict";

  const script = document.currentScript;
  const commandsUrl = script.dataset.commandsUrl;
  const box = document.getElementById("sentence-box");
  const sentence = document.getElementById("sentence");
  const understandButton = document.getElementById("understand");
  const micButton = document.getElementById("mic");
  const micLabel = micButton.querySelector(".mic-label");
  const micNote = document.getElementById("mic-note");
  const result = document.getElementById("parse-result");
  const form = document.getElementById("event-form");
  const field = (name) => form.elements.namedItem(name);
  const csrfToken = form.querySelector("[name=csrfmiddlewaretoken]").value;
  const eventLabels = Object.fromEntries(
    Array.from(field("event_type").options, (option) => [option.value, option.text]));

  // How the current sentence was entered: "text" when typed, "voice" when heard.
  let source = "text";

  box.hidden = false;

  function element(tag, attributes, children) {
    const node = document.createElement(tag);
    for (const [attribute, value] of Object.entries(attributes || {})) {
      node.setAttribute(attribute, value);
    }
    node.append(...(children || []));
    return node;
  }

  function showError(message) {
    result.className = "parse-error";
    result.replaceChildren(element("p", { class: "error", role: "alert" }, [message]));
  }

  function showStatus(message) {
    result.className = "parse-status";
    result.replaceChildren(element("p", { class: "muted" }, [message]));
  }

  function formFill(parsed) {
    field("name").value = parsed.name;
    field("location").value = parsed.location || "";
    field("event_type").value = parsed.event_type;
    field("source").value = source;
  }

  function showConfirmation(body) {
    const parsed = body.parsed;
    // An existing product is shown (and recorded) under the name it already has.
    const chosen = Object.assign({}, parsed, body.product ? { name: body.product.name } : {});
    const productText = chosen.name + (body.created ? " (new product)" : "");
    const confirmButton = element("button", { type: "button", id: "confirm" }, ["Confirm and record"]);
    const editButton = element("button", { type: "button", id: "edit", class: "secondary" },
      ["Change in the form"]);
    confirmButton.addEventListener("click", () => {
      formFill(chosen);
      confirmButton.disabled = true;
      form.submit();
    });
    editButton.addEventListener("click", () => {
      formFill(chosen);
      field("name").focus();
    });
    result.className = "parse-confirm";
    result.replaceChildren(
      element("p", { class: "confirm-message" }, [element("strong", {}, [body.message])]),
      element("dl", { class: "facts" }, [
        element("div", {}, [element("dt", {}, ["Product"]), element("dd", {}, [productText])]),
        element("div", {}, [element("dt", {}, ["What happened"]),
          element("dd", {}, [eventLabels[parsed.event_type] || parsed.event_type])]),
        element("div", {}, [element("dt", {}, ["Location"]),
          element("dd", {}, [parsed.location || "—"])]),
      ]),
      element("div", { class: "actions" }, [confirmButton, editButton]),
    );
    if (body.similar && body.similar.length) {
      result.append(similarChoices(parsed, body.similar));
    }
    confirmButton.focus();
  }

  // A new name that resembles existing products: offer them, since "the drill" usually
  // means the "Cordless Drill" already on the shelf rather than a new product.
  function similarChoices(parsed, products) {
    const choices = products.map((product) => {
      const button = element("button", { type: "button", class: "secondary" }, [product.name]);
      button.addEventListener("click", () => {
        formFill(Object.assign({}, parsed, { name: product.name }));
        showStatus("The form now says “" + product.name + "”; press Record to save it.");
        form.querySelector("button[type=submit]").focus();
      });
      return button;
    });
    return element("div", { class: "similar" }, [
      element("p", {}, ["Not in the inventory yet. Did you mean one of these?"]),
      element("div", { class: "actions" }, choices),
    ]);
  }

  async function understand() {
    const text = sentence.value.trim();
    if (!text) {
      showError("Type or say a sentence first, for example “move the drill to shelf B”.");
      return;
    }
    showStatus("Checking…");
    let response;
    let body;
    try {
      response = await fetch(commandsUrl, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "Accept": "application/json",
                   "X-CSRFToken": csrfToken },
        body: JSON.stringify({ text: text, dry_run: true, source: source }),
      });
      body = await response.json();
    } catch (error) {
      showError("The server could not be reached; nothing was recorded. (" + error.message + ")");
      return;
    }
    if (!response.ok) {
      showError(body.error || "The sentence could not be checked (" + response.status + ").");
      return;
    }
    showConfirmation(body);
  }

  understandButton.addEventListener("click", understand);
  sentence.addEventListener("keydown", (event) => {
    if (event.key === "Enter") {
      event.preventDefault();
      understand();
    }
  });
  sentence.addEventListener("input", () => { source = "text"; });

  const Recognition = window.SpeechRecognition || window.webkitSpeechRecognition;
  if (!Recognition) {
    micNote.hidden = false;
    return;
  }
  micButton.hidden = false;

  const speechErrors = {
    "not-allowed": "The browser did not allow the microphone. Allow it for this site (it needs HTTPS), or type the sentence.",
    "service-not-allowed": "Speech recognition is switched off in this browser; type the sentence instead.",
    "no-speech": "Nothing was heard. Press Speak and try again, or type the sentence.",
    "audio-capture": "No microphone was found; type the sentence instead.",
    "network": "The browser's speech service could not be reached; type the sentence instead.",
  };
  let recognition = null;
  let heard = false;

  function micReset() {
    recognition = null;
    micButton.setAttribute("aria-pressed", "false");
    micLabel.textContent = "Speak";
  }

  micButton.addEventListener("click", () => {
    if (recognition) {
      recognition.stop();
      return;
    }
    heard = false;
    recognition = new Recognition();
    recognition.lang = document.documentElement.lang || "en-US";
    recognition.interimResults = true;
    recognition.maxAlternatives = 1;
    recognition.addEventListener("result", (event) => {
      sentence.value = Array.from(event.results, (alternatives) => alternatives[0].transcript).join("");
      heard = Array.from(event.results).some((alternatives) => alternatives.isFinal);
    });
    recognition.addEventListener("error", (event) => {
      heard = false;
      showError(speechErrors[event.error] || "Speech recognition failed (" + event.error + "); type the sentence instead.");
    });
    recognition.addEventListener("end", () => {
      micReset();
      if (heard) {
        source = "voice";
        understand();
      }
    });
    recognition.start();
    micButton.setAttribute("aria-pressed", "true");
    micLabel.textContent = "Stop";
    showStatus("Listening… say for example “move the drill to shelf B”.");
  });
})();
