// The deadline expressions the engine's calendar functions understand, as the panel edits them:
// working_days(<start>, N) and calendar_days(<start>, N), where the start is an event the
// product records — received() (the task reached its unit), submitted("task_id") (that task was
// submitted), an event the services put into the process data (notice_received …) — or a date
// field. Anything else stays raw.

const START = String.raw`received\(\)|submitted\("[A-Za-z_][A-Za-z0-9_.-]*"\)|[A-Za-z_][A-Za-z0-9_]*`;
const SHAPE = new RegExp(
  String.raw`^\s*(working_days|calendar_days)\(\s*(${START})\s*,\s*([1-9][0-9]*)\s*\)\s*$`,
);
const FUNCTIONS = { working: "working_days", calendar: "calendar_days" };

export const START_EXPRESSION = new RegExp(`^(${START})$`);

export function parseDeadline(expression) {
  const match = SHAPE.exec(expression || "");
  if (!match) {
    return null;
  }
  return {
    kind: match[1] === "working_days" ? "working" : "calendar",
    field: match[2],
    days: parseInt(match[3], 10),
  };
}

export function formatDeadline(deadline) {
  return `${FUNCTIONS[deadline.kind]}(${deadline.field}, ${deadline.days})`;
}

// "答复期限（3个工作日）" -> "答复期限（5个工作日）": keep a timer's label honest when its
// period changes; names without such a period are left alone.
const PERIOD_IN_NAME = /[（(]\s*\d+\s*(个工作日|日)\s*[)）]/;

export function renamedForPeriod(name, deadline) {
  if (!name || !PERIOD_IN_NAME.test(name)) {
    return null;
  }
  const unit = deadline.kind === "working" ? "个工作日" : "日";
  return name.replace(PERIOD_IN_NAME, `（${deadline.days}${unit}）`);
}

// What a deadline may count from, for the select: the recorded events the page was given, the
// submission of every user task now in the diagram, then the forms' date fields.
export function startOptions(context, userTasks) {
  const options = context.starts.map((s) => ({ value: s.value, label: s.label }));
  for (const task of userTasks) {
    options.push({
      value: `submitted("${task.id}")`,
      label: `“${task.name || task.id}”提交时（系统记录）`,
    });
  }
  for (const field of context.forms.date_fields) {
    options.push({ value: field.name, label: `${field.title}（表单字段 ${field.name}）` });
  }
  return options;
}
