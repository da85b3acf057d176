// Charts of the email pages: each element with data-figure="ID" is drawn by Plotly from the
// JSON figure in <script type="application/json" id="ID"> (server-computed numbers, unchanged).
(function () {
  "use strict";
  function draw(element) {
    var source = document.getElementById(element.getAttribute("data-figure"));
    if (!source || typeof Plotly === "undefined") { return; }
    var figure = JSON.parse(source.textContent);
    var config = { displayModeBar: false, responsive: true };
    Plotly.newPlot(element, figure.data, figure.layout, config);
  }
  function drawAll() {
    document.querySelectorAll("[data-figure]").forEach(draw);
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", drawAll);
  } else {
    drawAll();
  }
})();
