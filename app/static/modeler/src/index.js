// The modeler page: bpmn-js with our Chinese labels, the spiffworkflow: extensions and the
// properties groups this product needs; 校验 / 部署 / 下载 call the server.
import Modeler from "bpmn-js/lib/Modeler";
import { BpmnPropertiesPanelModule, BpmnPropertiesProviderModule } from "bpmn-js-properties-panel";

import "bpmn-js/dist/assets/diagram-js.css";
import "bpmn-js/dist/assets/bpmn-js.css";
import "bpmn-js/dist/assets/bpmn-font/css/bpmn.css";
import "@bpmn-io/properties-panel/dist/assets/properties-panel.css";
import "./modeler.css";

import { createProblemsView } from "./problems";
import { refusedInput } from "./deadline-entries";
import HuajiePropertiesProvider from "./provider";
import spiffworkflow from "./spiffworkflow.json";
import translateModule from "./translate";

function readContext() {
  return JSON.parse(document.getElementById("modeler-context").textContent);
}

function csrfToken() {
  return document.querySelector('meta[name="csrf-token"]').content;
}

async function postJson(url, body) {
  const response = await fetch(url, {
    method: "POST",
    credentials: "same-origin",
    headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
    body: JSON.stringify(body),
  });
  let data = {};
  try {
    data = await response.json();
  } catch (error) {
    data = { error: `服务器返回 ${response.status}` };
  }
  return { ok: response.ok, status: response.status, data };
}

function setStatus(text, kind) {
  const status = document.getElementById("modeler-status");
  status.textContent = text;
  status.className = `modeler-status ${kind || ""}`;
}

// Fit the diagram into the canvas, right of the palette, which overlays the canvas' left edge
// (one column of 48 px or two of 94 px, depending on the canvas' height): the lanes' names must
// not lie under it.
function fitBesidePalette(canvas, readOnly) {
  canvas.resized();
  canvas.zoom("fit-viewport");
  const palette = document.querySelector("#canvas .djs-palette");
  if (readOnly || !palette) {
    return;
  }
  const left = document.getElementById("canvas").getBoundingClientRect().left;
  const covered = palette.getBoundingClientRect().right - left + 16; // screen pixels
  // widen the view on the left by ``margin`` (diagram units) and zoom out with it: what was at
  // the canvas' left edge then lands ``covered`` pixels to the right
  const box = canvas.viewbox();
  const screen = box.width * box.scale;
  const margin = (covered * box.width) / Math.max(screen - covered, 1);
  const grown = (box.width + margin) / box.width;
  canvas.viewbox({
    x: box.x - margin,
    y: box.y,
    width: box.width + margin,
    height: box.height * grown,
  });
}

async function start() {
  const context = readContext();
  const root = document.getElementById("modeler");
  const urls = root.dataset;
  // forms this page made (创建默认表单), sent with the diagram and stored with the version
  const madeForms = { ...(context.made_forms || {}) };
  const modeler = new Modeler({
    container: document.getElementById("canvas"),
    propertiesPanel: {
      parent: document.getElementById("properties"),
      layout: {
        groups: {
          general: { open: true },
          "huajie-task": { open: true },
          "huajie-deadline": { open: true },
        },
      },
    },
    additionalModules: [
      BpmnPropertiesPanelModule,
      BpmnPropertiesProviderModule,
      translateModule,
      {
        __init__: ["huajiePropertiesProvider"],
        huajiePropertiesProvider: ["type", HuajiePropertiesProvider],
        huajieContext: [
          "value",
          Object.assign({}, context, { previewUrl: urls.previewUrl, today: urls.today, madeForms }),
        ],
      },
    ],
    moddleExtensions: { spiffworkflow },
  });
  window.huajieModeler = modeler; // for the browser test and the curious

  const problems = createProblemsView(
    modeler,
    document.getElementById("problems-list"),
    document.getElementById("problems-summary"),
  );
  const deployButton = document.getElementById("deploy");
  const validateButton = document.getElementById("validate");
  let blockedByErrors = false;

  const { warnings } = await modeler.importXML(context.xml);
  if (warnings.length) {
    setStatus(`已载入（${warnings.length} 条导入提示）`, "warning");
  }
  const canvas = modeler.get("canvas");
  const readOnly = !deployButton;
  if (readOnly) {
    root.dataset.readonly = "true"; // no palette, no context pad (modeler.css)
  }
  fitBesidePalette(canvas, readOnly);
  modeler.on("commandStack.changed", () => {
    root.dataset.dirty = "true";
    if (blockedByErrors && deployButton) {
      blockedByErrors = false;
      deployButton.disabled = false; // a change may have fixed it: deploying validates again
    }
  });

  async function currentXml() {
    const { xml } = await modeler.saveXML({ format: true });
    return xml;
  }

  // what the panel refused to write: the diagram still holds the value before it
  function refusedProblems() {
    return [...refusedInput.values()].map((r) => ({
      severity: "error",
      element_id: r.elementId,
      message: `${r.label}填写的“${r.value}”无效（${r.message}），未写入流程图：请改正`,
    }));
  }

  async function validate() {
    setStatus("校验中…");
    const body = { xml: await currentXml(), new: Boolean(context.new), forms: madeForms };
    const { ok, data } = await postJson(urls.validateUrl, body);
    if (!ok) {
      setStatus(data.error || "校验失败", "error");
      return null;
    }
    const found = refusedProblems().concat(data.problems);
    problems.show(found);
    blockedByErrors = found.some((p) => p.severity === "error");
    if (deployButton) {
      deployButton.disabled = blockedByErrors;
    }
    setStatus(blockedByErrors ? "校验未通过" : "校验通过", blockedByErrors ? "error" : "ok");
    return found;
  }

  async function deploy() {
    const commentField = document.getElementById("deploy-comment");
    const comment = commentField.value.trim();
    if (!comment) {
      setStatus("请填写部署说明（为何修改）", "error");
      commentField.focus();
      return;
    }
    const found = await validate();
    if (found === null || blockedByErrors) {
      return;
    }
    setStatus("部署中…");
    const { ok, data } = await postJson(urls.deployUrl, {
      xml: await currentXml(),
      comment,
      forms: madeForms,
    });
    if (!ok) {
      if (data.problems) {
        problems.show(data.problems);
      }
      setStatus(data.error || "部署失败", "error");
      return;
    }
    root.dataset.dirty = "false";
    if (context.new) {
      window.location.assign(urls.deployedUrl); // the process exists now: its own page
      return;
    }
    commentField.value = "";
    document.getElementById("version").textContent = `第 ${data.version} 版`;
    setStatus(
      data.unchanged
        ? `流程图没有改动，仍为第 ${data.version} 版`
        : `已部署为第 ${data.version} 版；新发起的流程使用此版本，运行中的流程保持原版本`,
      "ok",
    );
  }

  async function download() {
    const blob = new Blob([await currentXml()], { type: "application/xml" });
    const link = document.createElement("a");
    link.href = URL.createObjectURL(blob);
    link.download = `${context.process_id}.bpmn`;
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(link.href), 1000);
  }

  // 导入 .bpmn: a file from a colleague or another modeler replaces the diagram on the page;
  // nothing is stored until it passes 校验 and is deployed.
  async function importFile(event) {
    const file = event.target.files[0];
    event.target.value = "";
    if (!file) {
      return;
    }
    try {
      const { warnings } = await modeler.importXML(await file.text());
      fitBesidePalette(canvas, readOnly);
      problems.clear();
      root.dataset.dirty = "true";
      setStatus(
        `已导入 ${file.name}${warnings.length ? `（${warnings.length} 条导入提示）` : ""}，尚未部署：请校验后部署`,
        warnings.length ? "warning" : "ok",
      );
    } catch (error) {
      setStatus(`无法导入 ${file.name}：不是有效的 BPMN 文件（${error.message}）`, "error");
    }
  }

  const importInput = document.getElementById("import-file");
  if (importInput) {
    importInput.addEventListener("change", importFile);
  }
  if (validateButton) {
    validateButton.addEventListener("click", validate);
  }
  if (deployButton) {
    deployButton.addEventListener("click", deploy);
  }
  document.getElementById("download").addEventListener("click", download);
  window.addEventListener("beforeunload", (event) => {
    if (root.dataset.dirty === "true") {
      event.preventDefault(); // the browser asks before unsaved changes are lost
      event.returnValue = "";
    }
  });
  root.dataset.ready = "true";
}

document.addEventListener("DOMContentLoaded", () => {
  start().catch((error) => {
    setStatus(`建模器加载失败：${error.message}`, "error");
    document.getElementById("modeler").dataset.ready = "error";
  });
});
