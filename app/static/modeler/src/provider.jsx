// The panel groups this product needs: a user task's form, lane and role ("表单与办理",
// task-entries.jsx) and a typed editor for its deadline ("期限", deadline-entries.jsx).
import { is } from "bpmn-js/lib/util/ModelUtil";

import { deadlineEntries } from "./deadline-entries";
import { deadlineTimers } from "./spiff";
import { taskEntries } from "./task-entries";

export default class HuajiePropertiesProvider {
  constructor(propertiesPanel, huajieContext, translate) {
    this._context = huajieContext;
    this._translate = translate;
    propertiesPanel.registerProvider(400, this);
  }

  getGroups(element) {
    return (groups) => {
      const ours = [];
      if (is(element, "bpmn:UserTask")) {
        ours.push({
          id: "huajie-task",
          label: "表单与办理",
          translate: this._translate,
          entries: taskEntries(element),
        });
      }
      if (is(element, "bpmn:UserTask") || deadlineTimers(element).length) {
        ours.push({
          id: "huajie-deadline",
          label: "期限",
          translate: this._translate,
          entries: deadlineEntries(element, this._context),
        });
      }
      for (const group of groups) {
        group.translate = group.translate || this._translate; // the groups' own tooltips
      }
      if (!ours.length) {
        return groups;
      }
      // after the general group, before documentation and the rest
      const general = groups.findIndex((g) => g.id === "general");
      groups.splice(general + 1, 0, ...ours);
      return groups;
    };
  }
}

HuajiePropertiesProvider.$inject = ["propertiesPanel", "huajieContext", "translate"];
