// Charts of the reports page, drawn with the vendored Chart.js (static/vendor, no CDN).
(function () {
  "use strict";
  if (typeof Chart === "undefined") { return; }
  function money(minor) { return (minor / 100).toFixed(2); }
  function draw(canvasId, dataId, kind, label) {
    var canvas = document.getElementById(canvasId);
    var source = document.getElementById(dataId);
    if (!canvas || !source) { return; }
    var data = JSON.parse(source.textContent);
    var chart = new Chart(canvas, {
      type: kind,
      data: {labels: data.labels, datasets: [{label: label, data: data.values.map(function (v) { return v / 100; }),
                                              backgroundColor: "#2f6feb", borderColor: "#2f6feb"}]},
      options: {animation: false, responsive: true, plugins: {legend: {display: false},
                tooltip: {callbacks: {label: function (item) { return money(item.raw * 100); }}}},
                scales: {y: {beginAtZero: true}}}
    });
    canvas.setAttribute("data-drawn", String(data.values.length));
    window.consoleCharts = window.consoleCharts || {};
    window.consoleCharts[canvasId] = chart;
  }
  draw("today-chart", "today-data", "bar", "Takings");
  draw("report-chart", "report-data", "bar", "Takings");
})();
