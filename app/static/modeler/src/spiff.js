// Reading and writing <spiffworkflow:properties><spiffworkflow:property name value/> on an element,
// the convention SpiffWorkflow's spiff parser reads into a task spec's extensions.
import { getBusinessObject, is } from "bpmn-js/lib/util/ModelUtil";

function propertiesElement(bo) {
  const extensions = bo.get("extensionElements");
  const values = extensions ? extensions.get("values") : [];
  return values.find((v) => is(v, "spiffworkflow:Properties")) || null;
}

export function getSpiffProperty(element, name) {
  const props = propertiesElement(getBusinessObject(element));
  const found = props ? props.get("properties").find((p) => p.name === name) : null;
  return found ? found.value || "" : "";
}

// One undoable change: creates extensionElements/properties when missing, removes the
// property when the value is empty.
export function setSpiffProperty(injector, element, name, value) {
  const bpmnFactory = injector.get("bpmnFactory");
  const commandStack = injector.get("commandStack");
  const bo = getBusinessObject(element);
  const commands = [];
  let extensions = bo.get("extensionElements");
  if (!extensions) {
    extensions = bpmnFactory.create("bpmn:ExtensionElements", { values: [] });
    extensions.$parent = bo;
    commands.push({
      cmd: "element.updateModdleProperties",
      context: { element, moddleElement: bo, properties: { extensionElements: extensions } },
    });
  }
  let props = propertiesElement(bo);
  if (!props) {
    props = bpmnFactory.create("spiffworkflow:Properties", { properties: [] });
    props.$parent = extensions;
    commands.push({
      cmd: "element.updateModdleProperties",
      context: {
        element,
        moddleElement: extensions,
        properties: { values: [...extensions.get("values"), props] },
      },
    });
  }
  const existing = props.get("properties").find((p) => p.name === name);
  if (!value) {
    if (!existing) {
      return;
    }
    commands.push({
      cmd: "element.updateModdleProperties",
      context: {
        element,
        moddleElement: props,
        properties: { properties: props.get("properties").filter((p) => p !== existing) },
      },
    });
  } else if (existing) {
    commands.push({
      cmd: "element.updateModdleProperties",
      context: { element, moddleElement: existing, properties: { value } },
    });
  } else {
    const created = bpmnFactory.create("spiffworkflow:Property", { name, value });
    created.$parent = props;
    commands.push({
      cmd: "element.updateModdleProperties",
      context: {
        element,
        moddleElement: props,
        properties: { properties: [...props.get("properties"), created] },
      },
    });
  }
  commandStack.execute("properties-panel.multi-command-executor", commands);
}

export function timerDefinition(element) {
  if (!is(element, "bpmn:BoundaryEvent")) {
    return null;
  }
  const definitions = getBusinessObject(element).get("eventDefinitions") || [];
  return definitions.find((d) => is(d, "bpmn:TimerEventDefinition")) || null;
}

// The timer boundary events a deadline group edits for the selected element.
export function deadlineTimers(element) {
  if (timerDefinition(element)) {
    return [element];
  }
  if (!is(element, "bpmn:UserTask")) {
    return [];
  }
  return (element.attachers || []).filter((a) => timerDefinition(a));
}

// The timeDate expression, or null when the timer is a duration/cycle or has none.
export function timerExpression(timer) {
  const definition = timerDefinition(timer);
  const timeDate = definition && definition.get("timeDate");
  if (!timeDate) {
    return null;
  }
  return timeDate.get("body") || "";
}

export function otherTimerExpression(timer) {
  const definition = timerDefinition(timer);
  const other = definition && (definition.get("timeDuration") || definition.get("timeCycle"));
  return other ? other.get("body") || "" : "";
}

export function setTimerExpression(injector, selected, timer, expression, newName) {
  const bpmnFactory = injector.get("bpmnFactory");
  const commandStack = injector.get("commandStack");
  const definition = timerDefinition(timer);
  const commands = [];
  const timeDate = definition.get("timeDate");
  if (timeDate) {
    commands.push({
      cmd: "element.updateModdleProperties",
      context: { element: selected, moddleElement: timeDate, properties: { body: expression } },
    });
  } else {
    const created = bpmnFactory.create("bpmn:FormalExpression", { body: expression });
    created.$parent = definition;
    commands.push({
      cmd: "element.updateModdleProperties",
      context: { element: selected, moddleElement: definition, properties: { timeDate: created } },
    });
  }
  if (newName) {
    commands.push({ cmd: "element.updateProperties", context: { element: timer, properties: { name: newName } } });
  }
  commandStack.execute("properties-panel.multi-command-executor", commands);
}

// The lane a flow node sits in (lanes list their nodes in flowNodeRef).
export function laneOf(element, elementRegistry) {
  const bo = getBusinessObject(element);
  const lane = elementRegistry.find(
    (e) => is(e, "bpmn:Lane") && (getBusinessObject(e).get("flowNodeRef") || []).includes(bo),
  );
  return lane ? getBusinessObject(lane).name || "" : "";
}
