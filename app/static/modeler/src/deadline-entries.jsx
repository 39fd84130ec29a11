// The "期限" group: a typed editor for each deadline timer of a task (working or calendar days,
// N, the event it counts from), with a preview of the date it gives.
import {
  isSelectEntryEdited,
  isTextFieldEntryEdited,
  SelectEntry,
  TextFieldEntry,
} from "@bpmn-io/properties-panel";
import { useEffect, useState } from "@bpmn-io/properties-panel/preact/hooks";
import { useService } from "bpmn-js-properties-panel";
import { getBusinessObject, is } from "bpmn-js/lib/util/ModelUtil";

import {
  formatDeadline,
  parseDeadline,
  renamedForPeriod,
  START_EXPRESSION,
  startOptions,
} from "./deadline";
import { withCurrent } from "./panel-common";
import {
  deadlineTimers,
  otherTimerExpression,
  setTimerExpression,
  timerExpression,
} from "./spiff";

function currentDeadline(timer, context) {
  const expression = timerExpression(timer);
  if (expression === null && otherTimerExpression(timer)) {
    return { raw: otherTimerExpression(timer), note: "该定时器使用持续时间/循环，而非日历期限" };
  }
  if (!expression) {
    return { deadline: { kind: "working", field: "received()", days: 3 }, unset: true };
  }
  const deadline = parseDeadline(expression);
  return deadline ? { deadline } : { raw: expression, note: "表达式不是“working_days(起算事件, N)”或“calendar_days(起算事件, N)”的形式，只能在下方“定时器”中直接修改" };
}

function useDeadlineWriter(element, timer) {
  const injector = useService("injector");
  const context = useService("huajieContext");
  return (changes) => {
    const found = currentDeadline(timer, context);
    const next = Object.assign({}, found.deadline, changes);
    if (!START_EXPRESSION.test(next.field)) {
      return; // not a start the panel can write: wait for one to be chosen or typed
    }
    const name = renamedForPeriod(getBusinessObject(timer).name, next);
    setTimerExpression(injector, element, timer, formatDeadline(next), name);
  };
}

// A choice of the deadline: ``options(deadline, context)`` lists it, ``patch`` writes it.
function deadlineSelect({ label, description, read, patch, options }) {
  return function DeadlineSelect(props) {
    const { element, id, timer } = props;
    const context = useService("huajieContext");
    const write = useDeadlineWriter(element, timer);
    return (
      <SelectEntry
        id={id}
        element={element}
        label={label}
        description={description}
        getValue={() => read(currentDeadline(timer, context).deadline)}
        setValue={(value) => value && write(patch(value))}
        getOptions={() => options(currentDeadline(timer, context).deadline, context)}
      />
    );
  };
}

const KindEntry = deadlineSelect({
  label: "期限类型",
  read: (deadline) => deadline.kind,
  patch: (kind) => ({ kind }),
  options: () => [
    { value: "working", label: "工作日（N 个工作日）" },
    { value: "calendar", label: "自然日（N 日，期满逢休息日顺延）" },
  ],
});

// Text typed into a deadline field that its pattern refused, so the diagram still holds the
// value before it: 校验 (and so 部署) must fail while such text is on the page, naming the field,
// instead of passing on the old value. Keyed by element and entry; an entry shown afresh (its
// element selected again) shows the diagram's value and forgets what was refused.
export const refusedInput = new Map();

// A typed text field of the deadline: it writes only what its pattern accepts.
function deadlineText({ label, description, pattern, message, read, patch }) {
  const valid = (value) => pattern.test(value || "");
  const validate = (value) => (valid(value) ? null : message); // stable: the panel re-checks on change
  return function DeadlineText(props) {
    const { element, id, timer } = props;
    const context = useService("huajieContext");
    const debounce = useService("debounceInput");
    const write = useDeadlineWriter(element, timer);
    const key = `${element.id}/${id}`;
    useEffect(() => {
      refusedInput.delete(key);
    }, [key]);
    const setValue = (value) => {
      if (!valid(value)) {
        refusedInput.set(key, { elementId: element.id, label, value: value || "", message });
        return;
      }
      refusedInput.delete(key);
      write(patch(value));
    };
    return (
      <TextFieldEntry
        id={id}
        element={element}
        label={label}
        description={description}
        debounce={debounce}
        getValue={() => read(currentDeadline(timer, context).deadline)}
        setValue={setValue}
        validate={validate}
      />
    );
  };
}

const DaysEntry = deadlineText({
  label: "天数 N",
  pattern: /^[1-9][0-9]*$/,
  message: "请输入不小于 1 的整数",
  read: (deadline) => String(deadline.days),
  patch: (value) => ({ days: parseInt(value, 10) }),
});

const CustomFieldEntry = deadlineText({
  label: "或输入起算事件",
  description: '流程数据中的其他事件或日期字段，例如 performance_due 或 submitted("agency_reply")',
  pattern: START_EXPRESSION,
  message: "须为 received()、submitted(\"任务ID\") 或字段名（字母开头，仅含字母、数字、下划线）",
  read: (deadline) => deadline.field,
  patch: (value) => ({ field: value }),
});

function userTasksOf(elementRegistry) {
  return elementRegistry
    .filter((e) => is(e, "bpmn:UserTask"))
    .map((e) => ({ id: e.id, name: getBusinessObject(e).name }));
}

// 起算事件: what the deadline counts from. Events the product records come first; a date a
// person types starts a clock only for an event outside the system, and never one the timed
// lane types itself (validation refuses that).
function FieldEntry(props) {
  const { element, id, timer } = props;
  const context = useService("huajieContext");
  const elementRegistry = useService("elementRegistry");
  const write = useDeadlineWriter(element, timer);
  return (
    <SelectEntry
      id={id}
      element={element}
      label="起算事件"
      description="期限自何事件起算：优先选系统记录的事件；表单日期只适用于系统之外的事件，且不能由被计时一方自己填写"
      getValue={() => currentDeadline(timer, context).deadline.field}
      setValue={(value) => value && write({ field: value })}
      getOptions={() =>
        withCurrent(
          startOptions(context, userTasksOf(elementRegistry)),
          currentDeadline(timer, context).deadline.field,
          "（自定义）",
        )
      }
    />
  );
}

function todayIso() {
  const now = new Date();
  const pad = (n) => String(n).padStart(2, "0");
  return `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`;
}

let sampleDate = null; // shared by every preview on the page, kept while selecting elements

function PreviewEntry(props) {
  const { id, timer } = props;
  const context = useService("huajieContext");
  const { kind, days } = currentDeadline(timer, context).deadline;
  const [sample, setSample] = useState(sampleDate || context.today || todayIso());
  const [result, setResult] = useState(null);
  useEffect(() => {
    let stale = false;
    const query = new URLSearchParams({ kind, days: String(days), date: sample });
    fetch(`${context.previewUrl}?${query}`, { credentials: "same-origin" })
      .then((r) => r.json().then((body) => ({ ok: r.ok, body })))
      .then(({ ok, body }) => !stale && setResult(ok ? body : { error: body.error || "无法计算" }))
      .catch(() => !stale && setResult({ error: "无法连接服务器" }));
    return () => {
      stale = true;
    };
  }, [kind, days, sample]);
  const onInput = (event) => {
    sampleDate = event.target.value;
    setSample(event.target.value);
  };
  return (
    <div class="bio-properties-panel-entry huajie-preview" data-entry-id={id}>
      <label class="bio-properties-panel-label" for={`${id}-date`}>
        预览：若起算事件发生于
      </label>
      <input
        id={`${id}-date`}
        class="bio-properties-panel-input"
        type="date"
        value={sample}
        onInput={onInput}
      />
      <div class="huajie-preview-result" aria-live="polite">
        {result === null ? (
          "计算中…"
        ) : result.error ? (
          <span class="huajie-warning">{result.error}</span>
        ) : (
          <>
            <strong class="huajie-due">截止 {result.due}</strong>
            {result.provisional ? <span class="huajie-provisional">暂定</span> : null}
            <div class="huajie-explanation">{result.explanation}</div>
          </>
        )}
      </div>
    </div>
  );
}

function RawDeadlineEntry(props) {
  const { id, timer } = props;
  const context = useService("huajieContext");
  const found = currentDeadline(timer, context);
  return (
    <div class="bio-properties-panel-entry huajie-raw" data-entry-id={id}>
      <div class="bio-properties-panel-label">期限表达式（只读）</div>
      <code>{found.raw}</code>
      <div class="huajie-note">{found.note}</div>
    </div>
  );
}

function NoDeadlineEntry(props) {
  return (
    <div class="bio-properties-panel-entry" data-entry-id={props.id}>
      <div class="huajie-note">此任务没有期限。需要期限时，在画布上给任务附加一个非中断定时边界事件。</div>
    </div>
  );
}

export function deadlineEntries(element, context) {
  const timers = deadlineTimers(element);
  if (!timers.length) {
    return [{ id: "huajie-no-deadline", component: NoDeadlineEntry, element }];
  }
  const entries = [];
  for (const timer of timers) {
    const base = `huajie-deadline-${timer.id}`;
    const shared = { element, timer };
    if (timers.length > 1 || timer !== element) {
      const name = getBusinessObject(timer).name || timer.id;
      entries.push({ id: `${base}-title`, component: TimerTitle, ...shared, name });
    }
    if (currentDeadline(timer, context).raw !== undefined) {
      entries.push({ id: `${base}-raw`, component: RawDeadlineEntry, ...shared });
      continue;
    }
    if (currentDeadline(timer, context).unset) {
      entries.push({ id: `${base}-unset`, component: UnsetNote, ...shared });
    }
    entries.push(
      { id: `${base}-kind`, component: KindEntry, isEdited: isSelectEntryEdited, ...shared },
      { id: `${base}-days`, component: DaysEntry, isEdited: isTextFieldEntryEdited, ...shared },
      { id: `${base}-field`, component: FieldEntry, isEdited: isSelectEntryEdited, ...shared },
      { id: `${base}-custom`, component: CustomFieldEntry, ...shared },
      { id: `${base}-preview`, component: PreviewEntry, ...shared },
    );
  }
  return entries;
}

function UnsetNote(props) {
  const { element, id, timer } = props;
  const write = useDeadlineWriter(element, timer);
  return (
    <div class="bio-properties-panel-entry" data-entry-id={id}>
      <div class="huajie-note huajie-warning">尚未设置期限表达式：下列为建议值，修改任一项即写入。</div>
      <button type="button" class="huajie-apply" onClick={() => write({})}>
        采用建议值
      </button>
    </div>
  );
}

function TimerTitle(props) {
  return (
    <div class="bio-properties-panel-entry huajie-timer-title" data-entry-id={props.id}>
      定时边界事件：{props.name}
    </div>
  );
}
