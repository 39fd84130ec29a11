// The "表单与办理" group of a user task: its form (or a default one), lane, role, assignee rule,
// documents, readers and context, written as spiffworkflow:properties.
import {
  isSelectEntryEdited,
  isTextFieldEntryEdited,
  SelectEntry,
  TextFieldEntry,
} from "@bpmn-io/properties-panel";
import { useService } from "bpmn-js-properties-panel";
import { getBusinessObject, is } from "bpmn-js/lib/util/ModelUtil";

import { withCurrent } from "./panel-common";
import {
  getSpiffProperty,
  laneOf,
  setSpiffProperty,
} from "./spiff";

const FORM = "formJsonSchemaFilename";
const UI_FORM = "formUiSchemaFilename";
const ROLE = "role";
const ASSIGNEE = "assignee";
const DOCUMENTS = "documents";
const READERS = "readers";
const CONTEXT = "context";

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

// The entries of the "表单与办理" group of a user task.
export function taskEntries(element) {
  return [
    { id: "huajie-form", component: FormEntry, isEdited: isSelectEntryEdited, element },
    { id: "huajie-default-form", component: DefaultFormEntry, element },
    { id: "huajie-ui-form", component: UiFormEntry, isEdited: isSelectEntryEdited, element },
    { id: "huajie-lane", component: LaneEntry, element },
    { id: "huajie-role", component: RoleEntry, isEdited: isSelectEntryEdited, element },
    { id: "huajie-assignee", component: AssigneeEntry, isEdited: isSelectEntryEdited, element },
    { id: "huajie-documents", component: DocumentsEntry, isEdited: isTextFieldEntryEdited, element },
    { id: "huajie-readers", component: ReadersEntry, isEdited: isTextFieldEntryEdited, element },
    { id: "huajie-context", component: ContextEntry, isEdited: isTextFieldEntryEdited, element },
  ];
}
