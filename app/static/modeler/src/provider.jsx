// The panel groups this product needs: a user task's form, lane and role ("表单与办理") and a
// typed editor for its deadline ("期限"), written as SpiffWorkflow reads them.
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
import {
  deadlineTimers,
  getSpiffProperty,
  laneOf,
  otherTimerExpression,
  setSpiffProperty,
  setTimerExpression,
  timerExpression,
} from "./spiff";

const FORM = "formJsonSchemaFilename";
const UI_FORM = "formUiSchemaFilename";
const ROLE = "role";
const ASSIGNEE = "assignee";
const DOCUMENTS = "documents";
const READERS = "readers";
const CONTEXT = "context";

function withCurrent(options, current, label) {
  if (current && !options.some((o) => o.value === current)) {
    options.push({ value: current, label: `${current}${label}` });
  }
  return options;
}

function PropertySelect(props) {
  const { element, id, label, property, options, description } = props;
  const injector = useService("injector");
  return (
    <SelectEntry
      id={id}
      element={element}
      label={label}
      description={description}
      getValue={() => getSpiffProperty(element, property)}
      setValue={(value) => setSpiffProperty(injector, element, property, value)}
      getOptions={() => withCurrent(options(), getSpiffProperty(element, property), "（不在列表中）")}
    />
  );
}

// A select over one of the lists the page was given (forms, UI schemas, roles, assignee rules).
function contextSelect({ label, property, empty, choices, description }) {
  return function ContextSelect(props) {
    const context = useService("huajieContext");
    const options = () => [{ value: "", label: empty }, ...choices(context)];
    return (
      <PropertySelect
        {...props}
        label={label}
        property={property}
        options={options}
        description={description}
      />
    );
  };
}

const labelled = (entries) =>
  Object.entries(entries).map(([value, label]) => ({ value, label: `${label}（${value}）` }));

const FormEntry = contextSelect({
  label: "表单（JSON Schema）",
  property: FORM,
  empty: "（未指定）",
  choices: (c) => c.forms.schemas.map((f) => ({ value: f.path, label: `${f.title}（${f.path}）` })),
  description: "forms/ 下本流程的表单文件；办理人看到并填写的内容",
});

// 创建默认表单: a user task without a form gets one asking for 办理意见, made by the page and
// stored with the version when it is deployed (the server's page_forms), as forms uploaded
// beside a .bpmn file are. A form file of that name already listed is chosen instead.
function DefaultFormEntry(props) {
  const { element, id } = props;
  const injector = useService("injector");
  const context = useService("huajieContext");
  if (getSpiffProperty(element, FORM)) {
    return null;
  }
  const create = () => {
    const schemaPath = `${context.process_id}/${element.id}.schema.json`;
    const uiPath = `${context.process_id}/${element.id}.uischema.json`;
    const listed = context.forms.schemas.some((f) => f.path === schemaPath);
    if (!listed || context.madeForms[schemaPath]) {
      const title = getBusinessObject(element).name || element.id;
      context.madeForms[schemaPath] = { ...context.default_form.schema, title };
      context.madeForms[uiPath] = context.default_form.uischema;
      if (!listed) {
        context.forms.schemas.push({ path: schemaPath, title, date_fields: [] });
      }
      if (!context.forms.ui_schemas.includes(uiPath)) {
        context.forms.ui_schemas.push(uiPath);
      }
    }
    setSpiffProperty(injector, element, FORM, schemaPath);
    if (context.forms.ui_schemas.includes(uiPath)) {
      setSpiffProperty(injector, element, UI_FORM, uiPath);
    }
  };
  return (
    <div class="bio-properties-panel-entry huajie-default-form" data-entry-id={id}>
      <div class="bio-properties-panel-description">此任务还没有表单，办理人无从填写。</div>
      <button type="button" class="huajie-default-form-button" onClick={create}>
        创建默认表单（办理意见）
      </button>
    </div>
  );
}

const UiFormEntry = contextSelect({
  label: "界面布局（UI Schema）",
  property: UI_FORM,
  empty: "（无）",
  choices: (c) => c.forms.ui_schemas.map((path) => ({ value: path, label: path })),
});

const RoleEntry = contextSelect({
  label: "限定角色",
  property: ROLE,
  empty: "（承办单位任何工作人员）",
  choices: (c) => labelled(c.roles),
  description: "只有承办单位中该角色的人员可以办理",
});

const AssigneeEntry = contextSelect({
  label: "指定办理人",
  property: ASSIGNEE,
  empty: "（不指定：承办单位的人员均可办理）",
  choices: (c) => labelled(c.assignees),
});

function documentKinds(value) {
  return (value || "").split(",").map((k) => k.trim()).filter(Boolean);
}

function DocumentsEntry(props) {
  const { element, id } = props;
  const context = useService("huajieContext");
  const injector = useService("injector");
  const debounce = useService("debounceInput");
  const current = documentKinds(getSpiffProperty(element, DOCUMENTS));
  const titles = current.map((k) => context.documents[k]).filter(Boolean);
  return (
    <TextFieldEntry
      id={id}
      element={element}
      label="办结时生成的文书"
      description={titles.length ? `将生成：${titles.map((t) => `《${t}》`).join("")}` : "文书类型，多个用逗号分隔，例如 assignment_notice"}
      debounce={debounce}
      getValue={() => getSpiffProperty(element, DOCUMENTS)}
      setValue={(value) => {
        const kinds = documentKinds(value);
        if (kinds.every((k) => k in context.documents)) {
          setSpiffProperty(injector, element, DOCUMENTS, kinds.join(","));
        }
      }}
      validate={(value) => {
        const unknown = documentKinds(value).filter((k) => !(k in context.documents));
        return unknown.length ? `未知的文书类型：${unknown.join("、")}` : null;
      }}
    />
  );
}

// Who reads what the task holds (its data, documents, attachments): the ``readers`` property.
function ReadersEntry(props) {
  const { element, id } = props;
  const context = useService("huajieContext");
  const injector = useService("injector");
  const debounce = useService("debounceInput");
  const current = documentKinds(getSpiffProperty(element, READERS));
  const labels = current.map((k) => context.readers[k]).filter(Boolean);
  return (
    <TextFieldEntry
      id={id}
      element={element}
      label="读取范围"
      description={labels.length ? `可查看本任务内容：${labels.join("、")}（及审计人员、办理人）` : `不填则按泳道默认；可选：${Object.keys(context.readers).join(", ")}`}
      debounce={debounce}
      getValue={() => getSpiffProperty(element, READERS)}
      setValue={(value) => {
        const names = documentKinds(value);
        if (names.every((k) => k in context.readers)) {
          setSpiffProperty(injector, element, READERS, names.join(","));
        }
      }}
      validate={(value) => {
        const unknown = documentKinds(value).filter((k) => !(k in context.readers));
        return unknown.length ? `未知的读取范围：${unknown.join("、")}` : null;
      }}
    />
  );
}

// What the task shows above its form (办理依据): earlier user tasks, or "task.field" for one
// field; the ``context`` property (docs/modeling.md). Ids must be user tasks of this diagram.
function ContextEntry(props) {
  const { element, id } = props;
  const injector = useService("injector");
  const debounce = useService("debounceInput");
  const elementRegistry = useService("elementRegistry");
  const taskIds = () =>
    elementRegistry.filter((e) => is(e, "bpmn:UserTask") && e.id !== element.id).map((e) => e.id);
  const unknownIn = (value) =>
    documentKinds(value).filter((entry) => !taskIds().includes(entry.split(".")[0]));
  return (
    <TextFieldEntry
      id={id}
      element={element}
      label="办理依据"
      description={`在表单上方显示的此前任务（逗号分隔，任务 ID 或 任务ID.字段）；不填则显示上一个任务。可选：${taskIds().join(", ")}`}
      debounce={debounce}
      getValue={() => getSpiffProperty(element, CONTEXT)}
      setValue={(value) => {
        if (!unknownIn(value).length) {
          setSpiffProperty(injector, element, CONTEXT, documentKinds(value).join(","));
        }
      }}
      validate={(value) => {
        const unknown = unknownIn(value);
        return unknown.length ? `未知的用户任务：${unknown.join("、")}` : null;
      }}
    />
  );
}

function LaneEntry(props) {
  const { element, id } = props;
  const context = useService("huajieContext");
  const elementRegistry = useService("elementRegistry");
  const lane = laneOf(element, elementRegistry);
  const kind = lane ? context.lanes[lane] : null;
  let text;
  let problem = false;
  if (!lane) {
    text = "不在任何泳道中：请把任务放进一个泳道";
    problem = true;
  } else if (!kind) {
    text = `泳道“${lane}”没有对应的单位类型（可用：${Object.keys(context.lanes).join("、")}）`;
    problem = true;
  } else {
    text = `泳道“${lane}” → 承办单位：${kind}`;
  }
  return (
    <div class="bio-properties-panel-entry huajie-lane" data-entry-id={id}>
      <div class="bio-properties-panel-label">泳道与承办单位</div>
      <div class={problem ? "huajie-note huajie-warning" : "huajie-note"}>{text}</div>
    </div>
  );
}

// --- 期限 ---------------------------------------------------------------------------------

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

function deadlineEntries(element, context) {
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
          entries: [
            { id: "huajie-form", component: FormEntry, isEdited: isSelectEntryEdited, element },
            { id: "huajie-default-form", component: DefaultFormEntry, element },
            { id: "huajie-ui-form", component: UiFormEntry, isEdited: isSelectEntryEdited, element },
            { id: "huajie-lane", component: LaneEntry, element },
            { id: "huajie-role", component: RoleEntry, isEdited: isSelectEntryEdited, element },
            { id: "huajie-assignee", component: AssigneeEntry, isEdited: isSelectEntryEdited, element },
            { id: "huajie-documents", component: DocumentsEntry, isEdited: isTextFieldEntryEdited, element },
            { id: "huajie-readers", component: ReadersEntry, isEdited: isTextFieldEntryEdited, element },
            { id: "huajie-context", component: ContextEntry, isEdited: isTextFieldEntryEdited, element },
          ],
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
