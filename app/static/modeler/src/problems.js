// Validation problems on the page: a list (errors red, warnings amber) and, on the diagram,
// a marker and an overlay with the message on each element they name.

const MARKER = { error: "huajie-problem-error", warning: "huajie-problem-warning" };
const SEVERITY = { error: "错误", warning: "警告" };

export function createProblemsView(modeler, listElement, summaryElement) {
  const canvas = modeler.get("canvas");
  const overlays = modeler.get("overlays");
  const registry = modeler.get("elementRegistry");
  const selection = modeler.get("selection");
  let marked = [];

  function clear() {
    for (const [id, marker] of marked) {
      if (registry.get(id)) {
        canvas.removeMarker(id, marker);
      }
    }
    marked = [];
    overlays.remove({ type: "huajie-problem" });
    listElement.replaceChildren();
    summaryElement.textContent = "";
    summaryElement.className = "problems-summary";
  }

  function focus(id) {
    const element = registry.get(id);
    if (!element) {
      return;
    }
    selection.select(element);
    canvas.scrollToElement(element, { top: 120, bottom: 120, left: 120, right: 420 });
  }

  function show(problems) {
    clear();
    const errors = problems.filter((p) => p.severity === "error").length;
    const warnings = problems.length - errors;
    if (!problems.length) {
      summaryElement.textContent = "校验通过：没有错误或警告";
      summaryElement.classList.add("ok");
      return;
    }
    summaryElement.textContent = `${errors} 个错误，${warnings} 个警告` + (errors ? "：有错误时不能部署" : "");
    summaryElement.classList.add(errors ? "has-errors" : "has-warnings");
    const messagesById = new Map();
    for (const problem of problems) {
      const item = document.createElement("li");
      item.className = `problem ${problem.severity}`;
      item.dataset.elementId = problem.element_id;
      const tag = document.createElement("span");
      tag.className = "problem-severity";
      tag.textContent = SEVERITY[problem.severity] || problem.severity;
      const where = document.createElement("span");
      where.className = "problem-element";
      const element = problem.element_id ? registry.get(problem.element_id) : null;
      const line = problem.line ? `第 ${problem.line} 行` + (problem.column ? `第 ${problem.column} 列` : "") : "";
      where.textContent = problem.element_id
        ? (element && element.businessObject.name) || problem.element_id
        : line || "整个流程";
      const text = document.createElement("span");
      text.className = "problem-message";
      text.textContent = problem.message;
      if (problem.detail) {
        // the engine's or the schema's own words, for whoever asks its authors
        const original = document.createElement("details");
        original.className = "problem-detail";
        const summary = document.createElement("summary");
        summary.textContent = "原文";
        const body = document.createElement("code");
        body.textContent = problem.detail;
        original.append(summary, body);
        text.append(original);
      }
      if (element) {
        const button = document.createElement("button");
        button.type = "button";
        button.className = "link";
        button.append(where);
        button.title = "在图中定位";
        button.addEventListener("click", () => focus(problem.element_id));
        item.append(tag, button, text);
      } else {
        item.append(tag, where, text);
      }
      listElement.append(item);
      if (element) {
        const list = messagesById.get(problem.element_id) || [];
        list.push(problem);
        messagesById.set(problem.element_id, list);
      }
    }
    for (const [id, list] of messagesById) {
      const severity = list.some((p) => p.severity === "error") ? "error" : "warning";
      canvas.addMarker(id, MARKER[severity]);
      marked.push([id, MARKER[severity]]);
      const badge = document.createElement("div");
      badge.className = `huajie-problem-badge ${severity}`;
      badge.dataset.elementId = id;
      badge.textContent = list.length > 1 ? `${list.length}` : "!";
      badge.title = list.map((p) => p.message).join("\n");
      const bubble = document.createElement("div");
      bubble.className = "huajie-problem-message";
      bubble.textContent = list.map((p) => p.message).join("；");
      badge.append(bubble);
      overlays.add(id, "huajie-problem", { position: { top: -10, right: 10 }, html: badge });
    }
  }

  return { show, clear };
}
