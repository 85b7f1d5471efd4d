(function () {
  "use strict";
  var errors = [];
  function record(msg) {
    errors.push(String(msg));
    document.body.setAttribute("data-errors", JSON.stringify(errors));
    var box = document.getElementById("js-errors");
    if (box) { box.classList.remove("hidden"); box.textContent = "Report script problems: " + errors.join("; "); }
  }
  window.addEventListener("error", function (e) { record(e.message || "script error"); });
  window.addEventListener("unhandledrejection", function (e) { record("unhandled rejection: " + e.reason); });
  document.addEventListener("securitypolicyviolation", function (e) {
    record("blocked by the page's content security policy: " + (e.blockedURI || "inline") + " (" + e.violatedDirective + ")");
  });
  var consoleError = console.error;
  console.error = function () {
    record(Array.prototype.join.call(arguments, " "));
    return consoleError.apply(console, arguments);
  };

  // Tables with class "sortable": click a header to sort by that column.
  function sortTables() {
    document.querySelectorAll("table.sortable").forEach(function (table) {
      var ths = table.querySelectorAll("thead th");
      ths.forEach(function (th, col) {
        th.classList.add("sortable");
        th.setAttribute("title", "Sort");
        th.addEventListener("click", function () {
          var asc = !th.classList.contains("sorted-asc");
          ths.forEach(function (h) { h.classList.remove("sorted-asc", "sorted-desc"); });
          th.classList.add(asc ? "sorted-asc" : "sorted-desc");
          var body = table.tBodies[0];
          var rows = Array.prototype.slice.call(body.rows);
          rows.sort(function (a, b) {
            var x = a.cells[col], y = b.cells[col];
            if (!x || !y) { return 0; }
            var xv = x.getAttribute("data-v"), yv = y.getAttribute("data-v"), r;
            if (xv !== null && yv !== null) { r = parseFloat(xv) - parseFloat(yv); }
            else { r = x.textContent.trim().localeCompare(y.textContent.trim()); }
            if (isNaN(r)) { r = 0; }
            return asc ? r : -r;
          });
          rows.forEach(function (row) { row.classList.remove("group-start"); body.appendChild(row); });
        });
      });
    });
  }

  // Conformance: filter by verdict, expand or collapse all.
  function conformanceTools() {
    var bar = document.getElementById("conf-tools");
    if (!bar) { return; }
    var checks = document.querySelectorAll("details.check");
    bar.addEventListener("click", function (e) {
      var b = e.target.closest("button");
      if (!b) { return; }
      if (b.hasAttribute("data-filter")) {
        bar.querySelectorAll("button[data-filter]").forEach(function (x) { x.setAttribute("aria-pressed", String(x === b)); });
        var f = b.getAttribute("data-filter");
        checks.forEach(function (d) {
          var v = d.getAttribute("data-verdict");
          d.classList.toggle("hidden", !(f === "all" || (f === "notpass" ? v !== "PASS" : v === f)));
        });
      } else if (b.hasAttribute("data-open")) {
        var open = b.getAttribute("data-open") === "1";
        checks.forEach(function (d) { if (!d.classList.contains("hidden")) { d.open = open; } });
      }
    });
  }

  // Check that every chart drew what the report says it holds.
  function verifyCharts() {
    var svgs = document.querySelectorAll("svg.chart"), ok = 0;
    svgs.forEach(function (svg) {
      var want = parseInt(svg.getAttribute("data-marks"), 10) || 0;
      var got = svg.querySelectorAll("rect.bar, rect.seg, path.line").length;
      var box = svg.getBoundingClientRect();
      var drawn = svg.getBBox ? svg.getBBox() : box;
      if (want > 0 && got === want && box.width > 0 && box.height > 0 && drawn.width > 0) {
        ok++;
        svg.setAttribute("data-ok", "1");
      } else {
        record("chart " + svg.id + " did not render: " + got + " of " + want + " marks, " + Math.round(box.width) + "x" + Math.round(box.height));
      }
    });
    document.body.setAttribute("data-height", String(document.documentElement.scrollHeight));
    document.body.setAttribute("data-charts", String(svgs.length));
    document.body.setAttribute("data-charts-ok", String(ok));
  }

  try {
    sortTables();
    conformanceTools();
    verifyCharts();
    document.body.setAttribute("data-rendered", errors.length ? "error" : "ok");
  } catch (e) {
    record(e && e.message ? e.message : e);
    document.body.setAttribute("data-rendered", "error");
  }
})();
