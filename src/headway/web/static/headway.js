// Headway dashboard behaviour (our own small script; charts use Plotly served from the package).
// No inline scripts anywhere: figures arrive as JSON in <script type="application/json">
// elements and are drawn here, so a strict Content-Security-Policy can forbid inline code.
(function () {
  "use strict";

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") || "" : "";
  }

  // fetch() for dashboard calls: same-origin credentials and the CSRF header on every request.
  function hwFetch(url, options) {
    var opts = Object.assign({ credentials: "same-origin" }, options || {});
    var headers = new Headers(opts.headers || {});
    if (!headers.has("X-CSRF-Token")) headers.set("X-CSRF-Token", csrfToken());
    opts.headers = headers;
    return fetch(url, opts);
  }

  // Only our own paths may be followed from chart data ("/x", never "//host" or "javascript:").
  function isLocalPath(url) {
    return typeof url === "string" && url.charAt(0) === "/" && url.charAt(1) !== "/";
  }

  function readFigure(id) {
    var holder = id && document.getElementById(id);
    if (!holder) return null;
    try {
      return JSON.parse(holder.textContent);
    } catch (e) {
      return null;
    }
  }

  // A figure's "narrow" variant (shorter labels, other axis ranges) for phone-width boxes.
  function narrow(figure) {
    (figure.narrow.data || []).forEach(function (update, i) {
      if (figure.data[i]) Object.assign(figure.data[i], update);
    });
    figure.layout = Object.assign({}, figure.layout || {}, figure.narrow.layout || {});
  }

  // Draw every [data-figure] element inside root; a click on a point with a local URL in its
  // customdata follows it (funnel bars lead to the contact list).
  function renderCharts(root) {
    var boxes = root.querySelectorAll("[data-figure]");
    for (var i = 0; i < boxes.length; i++) {
      var box = boxes[i];
      if (box.dataset.drawn || box.closest("details:not([open])")) continue;  // drawn when opened
      var figure = readFigure(box.dataset.figure);
      if (figure && figure.empty) {
        // nothing to draw (nobody entered): say so rather than axes around nothing
        var note = document.createElement("p");
        note.className = "note chart-empty";
        note.textContent = figure.empty;
        box.replaceChildren(note);
        box.classList.add("is-empty");
        box.dataset.drawn = "empty";
        continue;
      }
      if (!figure || typeof window.Plotly === "undefined") {
        box.innerHTML = '<p class="chart-fallback">The chart could not be drawn; the table shows the same numbers.</p>';
        continue;
      }
      box.dataset.drawn = "1";
      if (figure.narrow && box.clientWidth < 520) narrow(figure);
      var config = Object.assign({ displayModeBar: false, responsive: true }, figure.config || {});
      window.Plotly.newPlot(box, figure.data, figure.layout || {}, config);
      box.on("plotly_click", function (event) {
        var point = event && event.points && event.points[0];
        if (point && isLocalPath(point.customdata)) window.location.assign(point.customdata);
      });
    }
  }

  // Phone-width tables: every cell learns its column's name (data-label) so headway.css can
  // show each row as a block of "name  value" lines below 600 px instead of a wide table to
  // scroll sideways. Tables opt out with class "no-reflow".
  function labelTables(root) {
    root.querySelectorAll(".table-scroll > table:not(.no-reflow)").forEach(function (table) {
      var heads = table.querySelectorAll("thead tr:last-child th");
      if (!heads.length) return;
      var names = [];
      heads.forEach(function (th) {
        for (var k = 0; k < (th.colSpan || 1); k++) names.push(th.textContent.trim());
      });
      table.querySelectorAll("tbody tr").forEach(function (row) {
        var col = 0;
        Array.prototype.forEach.call(row.cells, function (cell) {
          if (!cell.hasAttribute("data-label") && names[col]) cell.setAttribute("data-label", names[col]);
          if (cell.textContent.trim().length > 24) cell.classList.add("wide");
          col += cell.colSpan || 1;
        });
      });
      table.classList.add("reflow");
    });
  }

  // <details class="fold" open> sections (long lists) start folded on a phone-width screen.
  function foldForPhone(root) {
    if (window.innerWidth > 600) return;
    root.querySelectorAll("details.fold[open]").forEach(function (d) { d.open = false; });
  }

  // Journey-page sections (<details class="section" open>, a heading as the summary): open on a
  // wide screen; on a phone they start folded, except the one the URL's #fragment points into.
  function foldSections(root) {
    if (window.innerWidth > 600) return;
    var id = decodeURIComponent(window.location.hash.slice(1));
    var target = id ? document.getElementById(id) : null;
    root.querySelectorAll("details.section[open]").forEach(function (d) {
      if (!target || !(d.contains(target) || target.contains(d))) d.open = false;
    });
  }

  // Long tables with data-phone-rows="N" show their first N rows on a phone and a button that
  // shows the rest (the drivers panel); a wide screen shows every row.
  function foldRows(root) {
    if (window.innerWidth > 600) return;
    root.querySelectorAll("table[data-phone-rows]").forEach(function (table) {
      var keep = parseInt(table.dataset.phoneRows, 10) || 3;
      var rows = table.querySelectorAll("tbody > tr");
      if (rows.length <= keep + 1 || table.dataset.folded) return;
      table.dataset.folded = "1";
      for (var i = keep; i < rows.length; i++) rows[i].hidden = true;
      var button = document.createElement("button");
      button.type = "button";
      button.className = "secondary show-all";
      button.textContent = "Show all " + rows.length + " " + (table.dataset.rowsName || "rows");
      button.addEventListener("click", function () {
        rows.forEach(function (row) { row.hidden = false; });
        button.remove();
      });
      var box = table.closest(".table-scroll") || table;
      box.insertAdjacentElement("afterend", button);
    });
  }

  // A lazy panel inside a folded section waits until the section is opened.
  function loadOrDefer(panel) {
    if (!panel.closest("details:not([open])")) {
      loadPanel(panel);
      return;
    }
    panel.dataset.deferred = "1";
    panel.removeAttribute("aria-busy");
    panel.textContent = "Loads when this section is opened.";
  }

  // Opening a folded <details>: load its waiting panels and draw its charts.
  function onToggle(event) {
    var details = event.target;
    if (!details.open || details.tagName !== "DETAILS") return;
    details.querySelectorAll(".lazy-panel[data-deferred]").forEach(function (panel) {
      if (panel.closest("details:not([open])")) return;
      delete panel.dataset.deferred;
      panel.textContent = "Loading…";
      loadPanel(panel);
    });
    renderCharts(details);
  }

  // The page's query string (as_of, date_range, view, ...) added to a panel's own URL.
  function panelUrl(src) {
    var url = new URL(src, window.location.href);
    var own = new Set(Array.from(url.searchParams.keys()));  // repeated page keys all travel
    new URLSearchParams(window.location.search).forEach(function (value, key) {
      if (!own.has(key)) url.searchParams.append(key, value);
    });
    return url.pathname + url.search;
  }

  function panelNote(panel, text) {
    var p = document.createElement("p");
    p.className = "note";
    p.textContent = text;
    panel.replaceChildren(p);
  }

  // Lazy panels: <section class="lazy-panel" data-src="..."> gets the server-rendered (escaped)
  // HTML fragment at data-src; a missing panel becomes a polite note, never a script error.
  function loadPanel(panel) {
    var src = panel.dataset.src;
    if (!isLocalPath(src)) return;
    var title = panel.dataset.title || "This panel";
    panel.setAttribute("aria-busy", "true");
    hwFetch(panelUrl(src), { headers: { Accept: "text/html" } })
      .then(function (response) {
        if (response.status === 404) {
          panelNote(panel, title + " is not available for this view yet.");
          return;
        }
        if (!response.ok) {
          panelNote(panel, title + " could not be loaded (the server answered " + response.status + ").");
          return;
        }
        return response.text().then(function (html) {
          panel.innerHTML = html;
          labelTables(panel);
          foldForPhone(panel);
          foldRows(panel);
          renderCharts(panel);
        });
      })
      .catch(function () {
        panelNote(panel, title + " could not be loaded (no answer from the server).");
      })
      .finally(function () {
        panel.removeAttribute("aria-busy");
      });
  }

  // Table rows with data-href act as links for the mouse; keyboard users have the row's link.
  function rowLinks(root) {
    root.addEventListener("click", function (event) {
      var row = event.target.closest && event.target.closest("tr[data-href]");
      if (!row || event.target.closest("a, button, input, select, label")) return;
      if (isLocalPath(row.dataset.href)) window.location.assign(row.dataset.href);
    });
  }

  function start() {
    labelTables(document);
    foldForPhone(document);
    foldSections(document);
    foldRows(document);
    renderCharts(document);
    document.querySelectorAll(".lazy-panel[data-src]").forEach(loadOrDefer);
    document.addEventListener("toggle", onToggle, true);  // toggle does not bubble
    window.addEventListener("hashchange", function () {  // a link to #section opens it
      var id = decodeURIComponent(window.location.hash.slice(1));
      var target = id ? document.getElementById(id) : null;
      var section = target && (target.closest("details.section") || target.querySelector("details.section"));
      if (section) section.open = true;
    });
    rowLinks(document);
    window.hwLoadPanel = loadPanel; // views.js reloads a panel whose controls changed
  }

  window.headway = {
    fetch: hwFetch, renderCharts: renderCharts, loadPanel: loadPanel, labelTables: labelTables,
  };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
