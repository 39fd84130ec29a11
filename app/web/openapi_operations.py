"""What the JSON API accepts and answers, as OpenAPI 3.1 pieces (served by ``app.web.openapi``).

``OPERATIONS`` maps (method, path under /api/v1) to the operation; the request and response
body schemas are in ``app.web.openapi_schemas``.
"""

from __future__ import annotations

from app.web.openapi_schemas import (
    BODIES,
    BOOL,
    DATE,
    DATE_OR_EMPTY,
    DAYS,
    ID,
    INT,
    SCHEMAS,
    STR,
    Schema,
    _nullable,
    _obj,
    _ref,
)

ERRORS = {
    400: "请求有误（字段错误见 errors）",
    401: "缺少访问令牌或令牌无效",
    403: "角色或单位无权进行此操作",
    404: "记录不存在",
    409: "冲突：状态已改变或并发写入",
    413: "请求体过大，或超出本单位附件配额",
    503: "写入繁忙（其他写入持有锁超过等待时限）：按 Retry-After 秒数后重试；读取不受影响",
}

FLAG_VALUES = ["", "0", "1", "true", "false"]  # a yes/no query parameter


def _json(schema: Schema, description: str = "成功") -> Schema:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _responses(ok: dict[int, Schema], *errors: int) -> dict[str, Schema]:
    out = {str(code): body for code, body in ok.items()}
    for code in sorted({400, 401, 403, *errors}):
        out[str(code)] = _json(_ref("Error"), ERRORS[code])
    return out


def _path_id(name: str) -> Schema:
    return {"name": name, "in": "path", "required": True, "schema": ID}


def _query(name: str, schema: Schema, description: str = "") -> Schema:
    return {"name": name, "in": "query", "required": False, "schema": schema,
            "description": description}  # fmt: skip


def _json_body(endpoint: str, bodies: dict[str, Schema] | None = None) -> Schema:
    schema = (bodies or BODIES)[endpoint]
    return {"required": True, "content": {"application/json": {"schema": schema}}}


def _multipart(properties: dict[str, Schema], required: list[str]) -> Schema:
    schema = {"type": "object", "properties": properties, "required": required}
    return {"required": True, "content": {"multipart/form-data": {"schema": schema}}}


DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
BINARY = {"type": "string", "format": "binary"}
# app.services.execution.incidents.incident_json
INCIDENT = _obj({
    "id": INT, "instance_id": INT, "process_id": STR, "version": INT, "element_id": STR,
    "element_name": STR, "message": STR, "detail": STR, "occurred_at": STR,
    "resolved_at": _nullable("string"), "resolved_by": _nullable("string"),
})  # fmt: skip
# app.engine.problems.DefinitionProblem.as_dict: every problem of a diagram at once
PROBLEMS = {"type": "array", "items": _obj(
    {"element_id": STR, "message": STR, "severity": {"enum": ["error", "warning"]}},
    {"line": _nullable("integer"), "column": _nullable("integer"), "detail": _nullable("string"),
     "code": STR},
)}  # fmt: skip
TASK_ID = [_path_id("task_id")]


# (method, path under /api/v1) -> operation; "x-endpoint" names the Flask endpoint
OPERATIONS: dict[tuple[str, str], Schema] = {
    ("get", "/openapi.json"): {
        "x-endpoint": "openapi.document_json", "summary": "本接口的 OpenAPI 文档", "security": [],
        "responses": {"200": _json({"type": "object"})},
    },
    ("post", "/cases"): {
        "x-endpoint": "api.create_case", "summary": "登记法院移送案件并启动机制四",
        "requestBody": _json_body("api.create_case"),
        "responses": _responses(
            {201: _json(_obj({"id": INT, "case_no": STR, "instance_id": INT}), "已登记")},
            400, 404, 409,
        ),
    },
    ("get", "/cases"): {
        "x-endpoint": "api.search_cases", "summary": "按案号、当事人或单位查找案件",
        "parameters": [_query("q", {"type": "string", "maxLength": 200},
                              "案号（全角、半角括号或数字均可）、当事人、单位名称或单位代码"),
                       _query("archived", {"type": "string", "enum": FLAG_VALUES},
                              "1：也查找归档库中的案件（主库没有结果时自动查找）")],
        "responses": _responses({200: _json({"type": "array", "items": _ref("Case")})}),
    },
    ("get", "/cases/{case_id}"): {
        "x-endpoint": "api.get_case", "summary": "案件及其跨机制时间线",
        "parameters": [_path_id("case_id")],
        "responses": _responses({200: _json(_ref("CaseTimeline"))}, 404),
    },
    ("post", "/cases/{case_id}/instances"): {
        "x-endpoint": "api.start_for_case", "summary": "为案件手动启动机制（如审中指导化解）",
        "parameters": [_path_id("case_id")], "requestBody": _json_body("api.start_for_case"),
        "responses": _responses({201: _json(_ref("InstanceCreated"), "已启动")}, 400, 404, 409),
    },
    ("get", "/tasks/{task_id}"): {
        "x-endpoint": "api.get_task", "summary": "任务及其表单 JSON Schema",
        "parameters": TASK_ID, "responses": _responses({200: _json(_ref("TaskDetail"))}, 404),
    },
    ("post", "/tasks/{task_id}/complete"): {
        "x-endpoint": "api.complete_task", "summary": "提交任务表单",
        "parameters": TASK_ID, "requestBody": _json_body("api.complete_task"),
        "responses": _responses({200: _json(_ref("Task"))}, 400, 404, 409),
    },
    ("post", "/tasks/{task_id}/deadline"): {
        "x-endpoint": "api.manage_deadline", "summary": "中止、恢复或延长任务期限",
        "parameters": TASK_ID, "requestBody": _json_body("api.manage_deadline"),
        "responses": _responses({200: _json(_ref("Task"))}, 400, 404, 409),
    },
    ("post", "/tasks/{task_id}/reassign"): {
        "x-endpoint": "api.reassign_task", "summary": "单位负责人在本单位内改派任务",
        "parameters": TASK_ID, "requestBody": _json_body("api.reassign_task"),
        "responses": _responses({200: _json(_ref("Task"))}, 400, 404, 409),
    },
    ("post", "/tasks/bulk"): {
        "x-endpoint": "api.bulk_tasks", "summary": "批量改派或催办（逐项返回结果）",
        "requestBody": _json_body("api.bulk_tasks"),
        "responses": _responses({200: _json(_obj({"results": {"type": "array", "items": _obj(
            {"task_id": INT, "ok": BOOL}, {"error": STR})}}))}, 400),
    },
    ("get", "/instances/{instance_id}"): {
        "x-endpoint": "api.get_instance", "summary": "流程实例：历史、期限、文书",
        "parameters": [_path_id("instance_id")],
        "responses": _responses({200: _json(_ref("Instance"))}, 404),
    },
    ("get", "/documents/{document_id}"): {
        "x-endpoint": "api.get_document", "summary": "下载文书（.docx）",
        "parameters": [_path_id("document_id")],
        "responses": _responses(
            {200: {"description": "文书", "content": {DOCX: {"schema": BINARY}}}}, 404
        ),
    },
    ("get", "/documents/{document_id}/pdf"): {
        "x-endpoint": "api.get_document_pdf",
        "summary": "下载文书的 PDF（服务器装有 LibreOffice 时；否则 503）",
        "parameters": [_path_id("document_id")],
        "responses": _responses({200: {"description": "文书 PDF", "content": {
            "application/pdf": {"schema": BINARY}}}}, 404, 503),
    },
    ("get", "/calendar/deadline"): {
        "x-endpoint": "api.deadline", "summary": "按工作日或自然日计算期限",
        "parameters": [
            {"name": "from", "in": "query", "required": True, "schema": DATE},
            _query("working_days", DAYS, "与 calendar_days 二选一"),
            _query("calendar_days", DAYS),
        ],
        "responses": _responses({200: _json(_obj(
            {"from": STR, "rule": STR, "n": INT, "deadline": STR, "due_at": STR,
             "provisional": BOOL, "explanation": STR}))}, 400),
    },
    ("get", "/processes"): {
        "x-endpoint": "api.list_processes", "summary": "本单位可以发起的流程",
        "responses": _responses({200: _json({"type": "array", "items": _obj(
            {"process_id": STR, "name": STR, "version": INT, "start_lane": STR})})}),
    },
    ("post", "/processes/{process_id}/instances"): {
        "x-endpoint": "api.start_process", "summary": "发起流程（data 为扁平的文本、数字、布尔值）",
        "parameters": [{"name": "process_id", "in": "path", "required": True, "schema": STR}],
        "requestBody": _json_body("api.start_process"),
        "responses": _responses({201: _json(_ref("InstanceCreated"), "已启动")}, 400, 404),
    },
    ("get", "/incidents"): {
        "x-endpoint": "api.list_incidents", "summary": "待处理的流程故障（流程管理员）",
        "responses": _responses({200: _json({"type": "array", "items": INCIDENT})}),
    },
    ("post", "/incidents/{incident_id}/retry"): {
        "x-endpoint": "api.retry_incident",
        "summary": "重试出错的环节（data：更正的流程数据，reason：更正的理由，有 data 时必填）；"
                   "数据有误或仍失败时 400，不做任何修改",
        "parameters": [_path_id("incident_id")],
        "requestBody": _json_body("api.retry_incident"),
        "responses": _responses({200: _json(INCIDENT, "已越过出错环节")}, 400, 404, 409),
    },
    ("post", "/process-definitions"): {
        "x-endpoint": "api.deploy_definition",
        "summary": "上传 .bpmn（及其 .dmn 决策表、.json 表单，或一个含这些文件的 .zip）部署新版本"
                   "（流程管理员）",
        "requestBody": _multipart({"file": {"type": "array", "items": BINARY}, "comment": STR,
                                   "confirm_new_version": STR}, ["file"]),
        "responses": {
            "201": _json(
                _obj({"process_id": STR, "version": INT}, {"problems": PROBLEMS}), "已部署"
            ),
            "400": _json(_obj({}, {"error": STR, "problems": PROBLEMS, "errors": {"anyOf": [
                {"type": "array", "items": _obj({"message": STR},
                                                {"element_id": _nullable("string")})},
                SCHEMAS["Error"]["properties"]["errors"],
            ]}}), "图无效（逐元素列出错误）"),
            **{str(c): _json(_ref("Error"), ERRORS[c]) for c in (401, 403, 413)},
        },
    },
    ("post", "/imports/{kind}"): {
        "x-endpoint": "api.import_court_list",
        "summary": "导入法院清单（multipart 字段 file：.xlsx 或 .csv；dry_run 默认 true，只检查）",
        "parameters": [{"name": "kind", "in": "path", "required": True,
                        "schema": {"enum": ["referred_cases", "judgments"]}}],
        "requestBody": _multipart(
            {"file": BINARY, "dry_run": {"enum": ["true", "false"]}}, ["file"]
        ),
        "responses": _responses({200: _json(_ref("ImportReport"), "逐行的结果")}, 404),
    },
    ("post", "/attachments"): {
        "x-endpoint": "api.upload_attachment", "summary": "上传附件（multipart 字段 file）",
        "requestBody": _multipart({"file": BINARY}, ["file"]),
        "responses": _responses({201: _json(_ref("Attachment"), "已上传")}, 400, 413),
    },
    ("get", "/attachments/{attachment_id}"): {
        "x-endpoint": "api.get_attachment", "summary": "下载附件",
        "parameters": [_path_id("attachment_id")],
        "responses": _responses(
            {200: {"description": "附件", "content": {"*/*": {"schema": BINARY}}}}, 404
        ),
    },
    ("post", "/messages"): {
        "x-endpoint": "api.receive_message",
        "summary": "法院消息（预立案信息通报、败诉预警函、裁判结果…），按案号 case_no 关联；"
                   "或流程消息（无 case_no）：按名称送达关联条件 correlation 与流程数据相符的"
                   "等待中实例，并启动以该消息开始的流程",
        "requestBody": _json_body("api.receive_message"),
        "responses": _responses(
            {201: _json(_ref("Message"), "已接收"),
             200: _json(_ref("Message"), "重复的幂等键：不产生第二次效果")},
            400, 404, 409, 413,
        ),
    },
    ("get", "/stats/loss-rate"): {
        "x-endpoint": "api.loss_rate", "summary": "各单位败诉率（分子、分母）",
        "parameters": [_query("from", DATE_OR_EMPTY, "默认：当年 1 月 1 日"),
                       _query("to", DATE_OR_EMPTY, "默认：今天")],
        "responses": _responses({200: _json(_obj(
            {"from": STR, "to": STR, "threshold": {"type": "number"},
             "units": {"type": "array", "items": _ref("UnitRate")},
             "reconsideration": {"type": "array", "items": _ref("CorrectionRate")}}))}, 400),
    },
    ("post", "/reconsiderations"): {
        "x-endpoint": "api.record_reconsideration",
        "summary": "登记行政复议决定（纠错的决定启动机制九复盘整改）",
        "requestBody": _json_body("api.record_reconsideration"),
        "responses": _responses(
            {201: _json(_obj({"id": INT, "case_no": STR,
                              "started": {"type": "array", "items": INT}}), "已登记")},
            400, 409,
        ),
    },
    ("post", "/tasks/{task_id}/service"): {
        "x-endpoint": "api.record_service",
        "summary": "登记纸质送达（凭送达回证，期限自送达之日起重新计算）",
        "parameters": TASK_ID, "requestBody": _json_body("api.record_service"),
        "responses": _responses({200: _json(_ref("Task"))}, 400, 404, 409),
    },
    ("post", "/evaluations"): {
        "x-endpoint": "api.run_evaluation", "summary": "开展败诉率评估（超过阈值的单位约谈）",
        "requestBody": _json_body("api.run_evaluation"),
        "responses": _responses({201: _json(_obj(
            {"period": STR, "threshold": {"type": "number"},
             "units": {"type": "array", "items": _ref("UnitRate")},
             "above_threshold": {"type": "array", "items": STR},
             "started": {"type": "array", "items": INT}}), "已评估")}, 400),
    },
    ("get", "/audit/events"): {
        "x-endpoint": "api.audit_events",
        "summary": "审计日志：上次校验结果与事件（新在前，每页 50 个，按 before 翻页）",
        "parameters": [
            _query("action", {"type": "string", "maxLength": 64}, "操作代码"),
            _query("actor", {"type": "string", "maxLength": 64}, "操作人用户名"),
            _query("instance_id", ID), _query("case_id", ID),
            _query("from", DATE_OR_EMPTY, "自（含）"), _query("to", DATE_OR_EMPTY, "至（含）"),
            _query("before", ID, "上一页最后一个事件的编号（next_before）"),
        ],
        "responses": _responses({200: _json(_obj(
            {"events_in_chain": INT, "verification": {"anyOf": [_ref("AuditVerification"),
                                                                  {"type": "null"}]},
             "verification_trusted": BOOL,
             "running": {"anyOf": [_ref("AuditVerification"), {"type": "null"}]},
             "events": {"type": "array", "items": _ref("AuditEvent")},
             "next_before": _nullable("integer")}))}, 400),
    },
    ("post", "/audit/verifications"): {
        "x-endpoint": "api.start_verification",
        "summary": "校验审计链自上次校验以来新增的事件（full 为完整校验），后台进行",
        "requestBody": _json_body("api.start_verification"),
        "responses": _responses(
            {202: _json(_obj({"id": INT, "scope": STR}), "已开始")}, 400, 409
        ),
    },
    ("post", "/substitutes"): {
        "x-endpoint": "api.name_substitute", "summary": "指定代理人（本单位同事）",
        "requestBody": _json_body("api.name_substitute"),
        "responses": _responses(
            {201: _json(_obj({"id": INT, "starts_on": STR, "ends_on": STR}), "已指定")},
            400, 404,
        ),
    },
}  # fmt: skip
