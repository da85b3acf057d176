// The journey editor: live validation by the engine (debounced) and a live preview of the
// draft's funnel on the current data (run again, debounced, whenever the draft is valid).
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
  var previewTimer = null;
  var latest = 0;
  var previewed = 0;

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

  // Warnings: names that match nothing in this data (never blocking).
  function showWarnings(warnings) {
    var box = document.getElementById("warnings");
    if (!box) { return; }
    box.replaceChildren();
    (warnings || []).forEach(function (w) {
      var item = document.createElement("li");
      var label = document.createElement("strong");
      label.textContent = "Warning: ";
      item.append(label);
      if (w.field) {
        var code = document.createElement("code");
        code.textContent = w.field;
        item.append(code, ": ");
      }
      item.append(w.message);
      box.append(item);
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
        clearTimeout(previewTimer);
        previewTimer = setTimeout(preview, 300);
        setStatus("Valid: " + d.name + ", " + d.stages.length + " stage" + (d.stages.length === 1 ? "" : "s") + ".", "valid");
      } else {
        var n = d.problems.length;
        setStatus(n + " problem" + (n === 1 ? "" : "s") + ":", "invalid");
      }
      showProblems(d.problems);
      showWarnings(d.warnings);
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

  // A bar under each stage's name, its length the stage's share of the contacts who entered.
  function bar(reached, entered) {
    var b = document.createElement("span");
    b.className = "preview-bar";
    b.setAttribute("aria-hidden", "true");
    b.style.width = (entered ? Math.max(0.5, 100 * reached / entered) : 0) + "%";
    return b;
  }

  function showPreview(d) {
    var body = previewTable.querySelector("tbody");
    body.replaceChildren();
    d.preview.forEach(function (s) {
      var row = document.createElement("tr");
      var name = cell("th", s.name);
      name.scope = "row";
      name.append(bar(s.reached, d.entered));
      row.append(cell("td", String(s.index)), name, cell("td", s.reached.toLocaleString("en-US"), "num"),
                 cell("td", s.index === 1 ? "" : percent(s.conversion_from_previous), "num"));
      body.append(row);
    });
    previewTable.hidden = false;
    previewStatus.textContent = d.name + " as of " + d.as_of + ": " + d.entered.toLocaleString("en-US") + " contacts entered.";
  }

  function preview() {
    var mine = ++previewed;
    clearTimeout(previewTimer);
    previewStatus.textContent = "Running the funnel on the draft…";
    previewTable.setAttribute("aria-busy", "true");
    post("/journeys/editor/preview", { text: text.value, as_of: asOf.value || null }).then(function (answer) {
      if (mine !== previewed) { return; }  // a newer preview is on its way
      previewTable.removeAttribute("aria-busy");
      if (!answer.ok) { previewStatus.textContent = errorText(answer.data); previewTable.hidden = true; return; }
      if (!answer.data.valid) {
        previewStatus.textContent = "Fix the problems listed under Validation first.";
        previewTable.hidden = true;
        showProblems(answer.data.problems);
        return;
      }
      showPreview(answer.data);
    }).catch(function () {
      if (mine === previewed) { previewStatus.textContent = "Could not reach the server for the preview."; }
    });
  }

  // The text area grows with the definition, so the whole journey stays in view.
  function fit() {
    text.rows = Math.max(24, text.value.split("\n").length + 2);
  }

  // Suggestions from the data: types, their property paths and top values (datalists), and a
  // condition built from them inserted at the cursor as YAML flow (JSON-quoted names).
  var catalog = { types: [], paths: {} };
  var suggestType = document.getElementById("suggest-type");
  var suggestPath = document.getElementById("suggest-path");
  var suggestValue = document.getElementById("suggest-value");

  function fill(id, values) {
    var box = document.getElementById(id);
    if (!box) { return; }
    box.replaceChildren();
    values.forEach(function (v) {
      var option = document.createElement("option");
      option.value = v;
      box.append(option);
    });
  }

  function pathsOf(type) {
    return catalog.paths[type] || [];
  }

  function refreshPaths() {
    fill("suggest-paths", pathsOf(suggestType.value).map(function (p) { return p.path; }));
    refreshValues();
  }

  function refreshValues() {
    var found = pathsOf(suggestType.value).filter(function (p) { return p.path === suggestPath.value; });
    fill("suggest-values", found.length ? found[0].values.map(function (v) {
      return typeof v === "string" ? v : JSON.stringify(v);
    }) : []);
  }

  function valueText(raw) {
    var found = pathsOf(suggestType.value).filter(function (p) { return p.path === suggestPath.value; });
    var known = found.length ? found[0].values : [];
    for (var i = 0; i < known.length; i++) {
      if (typeof known[i] !== "string" && JSON.stringify(known[i]) === raw) { return raw; }
    }
    return JSON.stringify(raw);
  }

  function insertCondition() {
    var parts = [];
    if (suggestType.value) { parts.push("type: " + JSON.stringify(suggestType.value)); }
    if (suggestPath.value) {
      var value = suggestValue.value ? valueText(suggestValue.value) : "{exists: true}";
      parts.push("where: {" + JSON.stringify(suggestPath.value) + ": " + value + "}");
    }
    if (!parts.length) { return; }
    var snippet = "{" + parts.join(", ") + "}";
    var start = text.selectionStart, end = text.selectionEnd;
    text.setRangeText(snippet, start, end, "end");
    text.focus();
    text.dispatchEvent(new Event("input"));
  }

  if (suggestType) {
    var source = document.getElementById("suggest").getAttribute("data-catalog");
    // Fetched once for the page: the visual builder (builder.js) uses the same answer.
    window.headwayCatalog = fetch(source, { credentials: "same-origin" }).then(function (r) { return r.json(); });
    window.headwayCatalog.then(function (data) {
      catalog = data;
      fill("suggest-types", data.types);
    }).catch(function () { /* suggestions are a convenience: the editor works without */ });
    suggestType.addEventListener("input", refreshPaths);
    suggestPath.addEventListener("input", refreshValues);
    document.getElementById("suggest-insert").addEventListener("click", insertCondition);
  }

  text.addEventListener("input", function () {
    fit();
    clearTimeout(timer);
    timer = setTimeout(validate, 400);
  });
  previewButton.addEventListener("click", preview);
  asOf.addEventListener("change", preview);
  validate();
})();
