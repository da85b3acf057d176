// The journey editor: live validation by the engine (debounced) and a preview of stage counts.
// Everything from the server is inserted as text, never as HTML.
(function () {
  "use strict";
  var text = document.getElementById("definition");
  if (!text) { return; }
  var list = document.getElementById("problems");
  var status = document.getElementById("validity");
  var previewButton = document.getElementById("preview");
  var previewStatus = document.getElementById("preview-status");
  var previewTable = document.getElementById("preview-table");
  var asOf = document.getElementById("preview-as-of");
  var meta = document.querySelector('meta[name="csrf-token"]');
  var token = meta ? meta.getAttribute("content") : "";
  var timer = null;
  var latest = 0;

  function post(url, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": token },
      body: JSON.stringify(body)
    }).then(function (response) {
      return response.json().then(function (data) { return { ok: response.ok, data: data }; });
    });
  }

  function errorText(data) {
    return (data && data.error && data.error.message) || "the server could not check the definition";
  }

  function showProblems(problems) {
    list.replaceChildren();
    problems.forEach(function (p) {
      var item = document.createElement("li");
      if (p.field) {
        var code = document.createElement("code");
        code.textContent = p.field;
        item.append(code, ": " + p.reason);
      } else {
        item.textContent = p.reason;
      }
      list.append(item);
    });
  }

  function setStatus(message, kind) {
    status.textContent = message;
    status.className = kind || "";
  }

  function validate() {
    var mine = ++latest;
    setStatus("Checking…");
    post("/journeys/editor/validate", { text: text.value }).then(function (answer) {
      if (mine !== latest) { return; }  // a newer check is on its way
      if (!answer.ok) { setStatus(errorText(answer.data), "invalid"); return; }
      var d = answer.data;
      if (d.valid) {
        setStatus("Valid: " + d.name + ", " + d.stages.length + " stage" + (d.stages.length === 1 ? "" : "s") + ".", "valid");
      } else {
        var n = d.problems.length;
        setStatus(n + " problem" + (n === 1 ? "" : "s") + ":", "invalid");
      }
      showProblems(d.problems);
    }).catch(function () {
      if (mine === latest) { setStatus("Could not reach the server to check the definition.", "invalid"); }
    });
  }

  function percent(value) {
    return value === null || value === undefined ? "–" : (100 * value).toFixed(1) + "%";
  }

  function cell(tag, value, className) {
    var c = document.createElement(tag);
    c.textContent = value;
    if (className) { c.className = className; }
    return c;
  }

  function showPreview(d) {
    var body = previewTable.querySelector("tbody");
    body.replaceChildren();
    d.preview.forEach(function (s) {
      var row = document.createElement("tr");
      var name = cell("th", s.name);
      name.scope = "row";
      row.append(cell("td", String(s.index)), name, cell("td", s.reached.toLocaleString("en-US"), "num"),
                 cell("td", s.index === 1 ? "" : percent(s.conversion_from_previous), "num"));
      body.append(row);
    });
    previewTable.hidden = false;
    previewStatus.textContent = d.name + " as of " + d.as_of + ": " + d.entered.toLocaleString("en-US") + " contacts entered.";
  }

  function preview() {
    previewStatus.textContent = "Running the funnel on the draft…";
    previewButton.disabled = true;
    post("/journeys/editor/preview", { text: text.value, as_of: asOf.value || null }).then(function (answer) {
      if (!answer.ok) { previewStatus.textContent = errorText(answer.data); previewTable.hidden = true; return; }
      if (!answer.data.valid) {
        previewStatus.textContent = "Fix the problems listed under Validation first.";
        previewTable.hidden = true;
        showProblems(answer.data.problems);
        return;
      }
      showPreview(answer.data);
    }).catch(function () {
      previewStatus.textContent = "Could not reach the server for the preview.";
    }).finally(function () { previewButton.disabled = false; });
  }

  // The text area grows with the definition, so the whole journey stays in view.
  function fit() {
    text.rows = Math.max(24, text.value.split("\n").length + 2);
  }

  text.addEventListener("input", function () {
    fit();
    clearTimeout(timer);
    timer = setTimeout(validate, 400);
  });
  previewButton.addEventListener("click", preview);
  validate();
})();
