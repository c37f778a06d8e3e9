// Draws a tool's line, bar and pie views with Chart.js (served from static/vendor) from the
// views' data the page embeds as JSON. Rings, streaks and heat-maps are plain HTML/SVG.
(function () {
  "use strict";
  var node = document.getElementById("views-data");
  if (!node || typeof Chart === "undefined") return;
  var data = JSON.parse(node.textContent);
  var hero = document.querySelector(".tool-hero");
  var color = hero && /^#[0-9a-fA-F]{6}$/.test(hero.dataset.color) ? hero.dataset.color : "#d6336c";
  var palette = [color, "#3b82f6", "#22c55e", "#f59e0b", "#8b5cf6", "#ef4444", "#14b8a6", "#64748b"];
  window.macaronCharts = {};
  data.views.forEach(function (view) {
    var canvas = document.getElementById("chart-" + view.index);
    if (!canvas) return;
    var d = view.data, config;
    if (view.type === "pie") {
      config = {
        type: "doughnut",
        data: { labels: d.labels, datasets: [{ data: d.values, backgroundColor: palette }] },
        options: { animation: false, plugins: { legend: { position: "bottom" } } },
      };
    } else {
      var datasets = [{
        label: d.label + (d.unit ? " (" + d.unit + ")" : ""),
        data: d.values,
        backgroundColor: color,
        borderColor: color,
        spanGaps: true,
        tension: 0.25,
      }];
      if (d.target !== null && d.target !== undefined) {
        datasets.push({
          type: "line",
          label: "🎯 " + d.target,
          data: d.labels.map(function () { return d.target; }),
          borderColor: "#94a3b8",
          borderDash: [6, 4],
          pointRadius: 0,
          fill: false,
        });
      }
      config = {
        type: view.type,
        data: { labels: d.labels, datasets: datasets },
        options: { animation: false, scales: { y: { beginAtZero: true } }, plugins: { legend: { display: datasets.length > 1 } } },
      };
    }
    window.macaronCharts[view.index] = new Chart(canvas, config);
  });
})();
