// The deadline expressions the engine's calendar functions understand, as the panel edits them:
// working_days(<date field>, N) and calendar_days(<date field>, N). Anything else stays raw.

const SHAPE = /^\s*(working_days|calendar_days)\(\s*([A-Za-z_][A-Za-z0-9_]*)\s*,\s*([1-9][0-9]*)\s*\)\s*$/;
const FUNCTIONS = { working: "working_days", calendar: "calendar_days" };

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

export const FIELD_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
