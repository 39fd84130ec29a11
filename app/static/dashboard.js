// Draws the dashboard's charts (echarts) from the figures the page already shows.
(function () {
  "use strict";
  function pct(v) { return v === null || v === undefined ? null : Math.round(v * 1000) / 10; }
  var builders = {
    rates: function (rows) {
      return {
        tooltip: {}, legend: {}, grid: { containLabel: true },
        xAxis: { type: "category", data: rows.map(function (r) { return r.unit_name; }) },
        yAxis: [{ type: "value", name: "件" }, { type: "value", name: "败诉率 %", max: 100 }],
        series: [
          { name: "结案", type: "bar", data: rows.map(function (r) { return r.concluded; }) },
          { name: "败诉", type: "bar", data: rows.map(function (r) { return r.lost; }) },
          { name: "败诉率", type: "line", yAxisIndex: 1,
            data: rows.map(function (r) { return r.concluded ? pct(r.lost / r.concluded) : null; }) }
        ]
      };
    },
    trend: function (rows) {
      return {
        tooltip: {}, legend: {},
        xAxis: { type: "category", data: rows.map(function (r) { return r.quarter; }) },
        yAxis: [{ type: "value", name: "件" }, { type: "value", name: "败诉率 %", max: 100 }],
        series: [
          { name: "结案", type: "bar", data: rows.map(function (r) { return r.concluded; }) },
          { name: "败诉", type: "bar", data: rows.map(function (r) { return r.lost; }) },
          { name: "败诉率", type: "line", yAxisIndex: 1, data: rows.map(function (r) { return pct(r.loss_rate); }) }
        ]
      };
    },
    compliance: function (rows) {
      return {
        tooltip: {}, legend: {},
        xAxis: { type: "category", data: rows.map(function (r) { return r.name; }) },
        yAxis: { type: "value" },
        series: ["met", "late", "open"].map(function (key, i) {
          return { name: ["按期", "逾期", "未到期"][i], type: "bar", stack: "all",
                   data: rows.map(function (r) { return r[key]; }) };
        })
      };
    },
    reasons: function (rows) {
      return {
        tooltip: {}, series: [{ type: "pie", radius: "60%",
          data: rows.map(function (r) { return { name: r.category, value: r.count }; }) }]
      };
    }
  };
  document.addEventListener("DOMContentLoaded", function () {
    if (!window.echarts) { return; }
    document.querySelectorAll(".chart[data-chart]").forEach(function (el) {
      var spec = JSON.parse(el.dataset.chart);
      var chart = window.echarts.init(el, null, { renderer: "svg" });
      chart.setOption(builders[spec.kind](spec.rows));
      el.dataset.ready = "true";
    });
  });
})();
