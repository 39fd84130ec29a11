// Shows instance diagrams with their elements marked by state (completed/active/waiting/overdue).
(function () {
  "use strict";
  function show(container) {
    var states = JSON.parse(container.dataset.states || "{}");
    var viewer = new window.BpmnJS({ container: container });
    fetch(container.dataset.src, { credentials: "same-origin" })
      .then(function (r) { return r.text(); })
      .then(function (xml) { return viewer.importXML(xml); })
      .then(function () {
        var canvas = viewer.get("canvas");
        var registry = viewer.get("elementRegistry");
        Object.keys(states).forEach(function (id) {
          if (registry.get(id)) { canvas.addMarker(id, "state-" + states[id]); }
        });
        canvas.zoom("fit-viewport");
        container.dataset.ready = "true";
      })
      .catch(function (err) {
        container.textContent = "流程图加载失败：" + err.message;
        container.dataset.ready = "error";
      });
  }
  document.addEventListener("DOMContentLoaded", function () {
    if (!window.BpmnJS) { return; }
    document.querySelectorAll(".diagram[data-src]").forEach(show);
  });
})();
