// Draws the dashboard's charts (echarts) from the figures the page already shows.
(function () {
  "use strict";
  function pct(v) { return v === null || v === undefined ? null : Math.round(v * 1000) / 10; }
  var builders = {
    rates: function (rows) {
      return {
        tooltip: {}, legend: {}, grid: { containLabel: true },
        xAxis: { type: "category", data: rows.map(function (r) { return r.unit_name; }) },
        yAxis: [{ type: "value", name: "件", minInterval: 1 },
                { type: "value", name: "败诉率 %", max: 100, splitLine: { show: false } }],
        series: [
          { name: "结案", type: "bar", data: rows.map(function (r) { return r.concluded; }) },
          { name: "败诉", type: "bar", itemStyle: { color: "#b3261e" },
            data: rows.map(function (r) { return r.lost; }) },
          { name: "败诉率", type: "line", yAxisIndex: 1,
            data: rows.map(function (r) { return r.concluded ? pct(r.lost / r.concluded) : null; }) }
        ]
      };
    },
    trend: function (rows) {
      return {
        tooltip: {}, legend: {},
        xAxis: { type: "category", data: rows.map(function (r) { return r.quarter; }) },
        yAxis: [{ type: "value", name: "件", minInterval: 1 },
                { type: "value", name: "败诉率 %", max: 100, splitLine: { show: false } }],
        series: [
          { name: "结案", type: "bar", data: rows.map(function (r) { return r.concluded; }) },
          { name: "败诉", type: "bar", itemStyle: { color: "#b3261e" },
            data: rows.map(function (r) { return r.lost; }) },
          { name: "败诉率", type: "line", yAxisIndex: 1, data: rows.map(function (r) { return pct(r.loss_rate); }) }
        ]
      };
    },
    compliance: function (rows) {
      return {
        tooltip: {}, legend: {},
        xAxis: { type: "category", data: rows.map(function (r) { return r.name; }) },
        yAxis: { type: "value", minInterval: 1 },
        series: ["met", "late", "open"].map(function (key, i) {
          return { name: ["按期", "逾期", "未到期"][i], type: "bar", stack: "all",
                   itemStyle: { color: ["#059669", "#b3261e", "#9ca3af"][i] },
                   data: rows.map(function (r) { return r[key]; }) };
        })
      };
    },
    reasons: function (rows) {
      if (!rows.length) {
        return { title: { text: "暂无数据", left: "center", top: "middle",
                          textStyle: { color: "#61707e", fontSize: 14 } } };
      }
      return {
        tooltip: {}, series: [{ type: "pie", radius: "60%",
          data: rows.map(function (r) { return { name: r.category, value: r.count }; }) }]
      };
    }
  };
  document.addEventListener("DOMContentLoaded", function () {
    if (!window.echarts) { return; }
    var charts = [];
    document.querySelectorAll(".chart[data-chart]").forEach(function (el) {
      var spec = JSON.parse(el.dataset.chart);
      var chart = window.echarts.init(el, null, { renderer: "svg" });
      chart.on("finished", function () { el.dataset.ready = "true"; });
      chart.setOption(builders[spec.kind](spec.rows));
      charts.push(chart);
    });
    // a chart keeps the width it was drawn at: redraw at the window's new width (a turned
    // phone, a narrowed window), else it reaches past the page's edge
    window.addEventListener("resize", function () {
      charts.forEach(function (chart) { chart.resize(); });
    });
  });
})();
