// The dashboard's view tools (our own script, on every page): PNG/SVG download of every chart
// (plotly.js's own downloadImage), a CSV link on every table panel of the journey page (served by
// the API), cohorts and saved views (the REST API), and controls whose value lives in the page's
// address (replaceState).
(function () {
  "use strict";

  // Which report each panel's table is, by the id of its heading.
  var TABLES = {
    "funnel-title": "funnel",
    "stages-title": "funnel",
    "outcomes-title": "funnel",
    "trend-title": "trends",
    "breakdown-title": "breakdown",
    "flow-title": "flow",
    "stalls-title": "stalls",
    "drivers-title": "drivers",
    "attribution-title": "attribution"
  };

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") || "" : "";
  }

  function api(method, url, body) {
    var opts = {
      method: method,
      credentials: "same-origin",
      headers: { "X-CSRF-Token": csrfToken(), Accept: "application/json" }
    };
    if (body !== undefined) {
      opts.headers["Content-Type"] = "application/json";
      opts.body = JSON.stringify(body);
    }
    return fetch(url, opts).then(function (response) {
      if (response.status === 204) return null;
      return response.json().then(function (data) {
        if (!response.ok) throw new Error((data && data.error && data.error.message) || "HTTP " + response.status);
        return data;
      });
    });
  }

  // The page's view (as_of, date_range, segment filters one a line) as API parameters.
  function viewParams() {
    var page = new URLSearchParams(window.location.search);
    var out = new URLSearchParams();
    ["as_of", "date_range"].forEach(function (key) {
      if (page.get(key)) out.set(key, page.get(key));
    });
    page.getAll("segment").forEach(function (value) {
      value.split("\n").forEach(function (line) {
        if (line.trim()) out.append("segment", line.trim());
      });
    });
    return out;
  }

  function slug(text) {
    return (text || "chart").toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "") || "chart";
  }

  // --- chart export -------------------------------------------------------------------
  function chartTitle(gd) {
    var card = gd.closest("section.card");
    var heading = card && card.querySelector("h2");
    var bar = document.getElementById("segment");
    var journey = bar ? bar.dataset.journey : document.title;
    return journey + " " + (heading ? heading.textContent : gd.id);
  }

  function addExport(gd) {
    if (gd.dataset.exportReady || !window.Plotly) return;
    gd.dataset.exportReady = "1";
    var bar = document.createElement("div");
    bar.className = "chart-export";
    bar.setAttribute("role", "group");
    bar.setAttribute("aria-label", "Download this chart");
    ["png", "svg"].forEach(function (format) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "secondary small";
      button.dataset.format = format;
      button.textContent = format.toUpperCase();
      button.setAttribute("aria-label", "Download the chart as " + format.toUpperCase());
      button.addEventListener("click", function () {
        window.Plotly.downloadImage(gd, {
          format: format,
          filename: slug(chartTitle(gd)),
          width: gd.offsetWidth || 900,
          height: gd.offsetHeight || 450
        });
      });
      bar.appendChild(button);
    });
    gd.insertAdjacentElement("afterend", bar);
  }

  function exportCharts(root) {
    root.querySelectorAll(".js-plotly-plot").forEach(addExport);
  }

  // --- CSV of every table panel -----------------------------------------------------------
  function addCsvLinks(root) {
    var bar = document.getElementById("segment");
    if (!bar) return;
    Object.keys(TABLES).forEach(function (id) {
      var heading = root.querySelector("#" + id);
      if (!heading || heading.dataset.csvReady) return;
      var table = TABLES[id];
      var params = viewParams();
      params.set("table", table);
      var page = new URLSearchParams(window.location.search);
      if (table === "breakdown") {
        if (!page.get("by")) return;
        params.set("by", page.get("by"));
        if (page.get("touch")) params.set("touch", page.get("touch"));
      }
      if (table === "trends" && page.get("trend")) params.set("by", page.get("trend"));
      if (table === "flow" && page.get("flow_stage")) params.set("stage", page.get("flow_stage"));
      heading.dataset.csvReady = "1";
      var link = document.createElement("a");
      link.className = "csv-link";
      link.href = bar.dataset.api + "/csv?" + params.toString();
      link.textContent = "CSV";
      link.setAttribute("download", "");
      link.setAttribute("aria-label", "Download " + heading.textContent + " as CSV");
      var holder = document.createElement("p");
      holder.className = "table-export";
      holder.appendChild(link);
      heading.insertAdjacentElement("afterend", holder);
    });
  }

  // --- cohorts and saved views --------------------------------------------------------------
  function say(id, text, isError) {
    var line = document.getElementById(id);
    if (!line) return;
    line.textContent = text;
    line.classList.toggle("error", !!isError);
  }

  // Reload the page with the cohorts and saved views open (they are folded by default).
  function reopen() {
    try { window.sessionStorage.setItem("hw-open-segment-more", "1"); } catch (e) { /* private mode */ }
    window.location.reload();
  }

  function wireForms() {
    var more = document.getElementById("segment-more");
    var reopened = false;
    try {
      reopened = window.sessionStorage.getItem("hw-open-segment-more") === "1";
      window.sessionStorage.removeItem("hw-open-segment-more");
    } catch (e) { /* private mode */ }
    if (more && (reopened || window.location.hash === "#segment-more")) more.open = true;
    var bar = document.getElementById("segment");
    if (!bar) return;
    var cohortForm = document.getElementById("cohort-save");
    // The save buttons start disabled: without this script the forms would submit to the page.
    [cohortForm, document.getElementById("view-save")].forEach(function (form) {
      var button = form && form.querySelector("button[type=submit]");
      if (button) button.disabled = false;
    });
    if (cohortForm) {
      cohortForm.addEventListener("submit", function (event) {
        event.preventDefault();
        var params = viewParams();
        var body = {
          name: cohortForm.elements.name.value,
          journey: bar.dataset.journey,
          stage: cohortForm.elements.stage.value,
          status: cohortForm.elements.status.value,
          as_of: params.get("as_of"),
          date_range: params.get("date_range"),
          segment: params.getAll("segment")
        };
        api("POST", "/api/v1/cohorts", body).then(function (cohort) {
          say("cohort-status-line", "Saved cohort " + cohort.name + ": " + cohort.size.toLocaleString("en") + " contacts. Reloading…");
          reopen();
        }).catch(function (err) { say("cohort-status-line", err.message, true); });
      });
    }
    var viewForm = document.getElementById("view-save");
    if (viewForm) {
      viewForm.addEventListener("submit", function (event) {
        event.preventDefault();
        var body = {
          name: viewForm.elements.name.value,
          journey: bar.dataset.journey,
          query: window.location.search.replace(/^\?/, "")
        };
        api("POST", "/api/v1/views", body).then(function (view) {
          say("view-status-line", "Saved view " + view.name + ". Reloading…");
          reopen();
        }).catch(function (err) { say("view-status-line", err.message, true); });
      });
    }
    bar.addEventListener("click", function (event) {
      var button = event.target.closest("[data-delete-cohort], [data-delete-view]");
      if (!button) return;
      var cohort = button.dataset.deleteCohort;
      var url = cohort !== undefined
        ? "/api/v1/cohorts/" + encodeURIComponent(cohort)
        : "/api/v1/views/" + encodeURIComponent(button.dataset.deleteView);
      var line = cohort !== undefined ? "cohort-status-line" : "view-status-line";
      api("DELETE", url).then(function () {
        button.closest("li").remove();
        say(line, "Deleted.");
      }).catch(function (err) { say(line, err.message, true); });
    });
  }

  // --- controls kept in the address -------------------------------------------------------
  // A control with data-url-param writes its value into the query string (replaceState), so a
  // copied address reproduces the view; inside a lazy panel the panel reloads with it.
  function wireUrlControls() {
    document.addEventListener("change", function (event) {
      var control = event.target.closest && event.target.closest("[data-url-param]");
      if (!control) return;
      var url = new URL(window.location.href);
      url.searchParams.set(control.dataset.urlParam, control.value);
      var card = control.closest("section.card");
      if (card && card.id) url.hash = card.id;
      window.history.replaceState(null, "", url.pathname + url.search + url.hash);
      var panel = control.closest(".lazy-panel");
      if (panel && window.hwLoadPanel) window.hwLoadPanel(panel);
      document.querySelectorAll("[data-csv-ready]").forEach(function (h) {
        var next = h.nextElementSibling;
        if (next && next.classList.contains("table-export")) next.remove();
        delete h.dataset.csvReady;
      });
      addCsvLinks(document);
    });
  }

  function start() {
    wireForms();
    wireUrlControls();
    addCsvLinks(document);
    exportCharts(document);
    new MutationObserver(function () { exportCharts(document); }).observe(document.body, {
      childList: true,
      subtree: true
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
