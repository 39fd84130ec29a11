"""The OpenAPI pieces of working a task: the inbox's filters, paging and counts, claims,
drafts and comments (merged into the document by ``app.web.openapi``)."""

from __future__ import annotations

from app.web.openapi_operations import TASK_ID, _json, _json_body, _query, _responses
from app.web.openapi_schemas import ID, INT, STR, TASK, Schema, _nullable, _obj, _ref

FLAG = {"enum": ["1", "0", "true", "false"]}
INBOX_FILTERS = [
    _query("process", {"type": "string", "maxLength": 100}, "流程标识"),
    _query("case", ID, "案件编号（cases 接口的 id）"),
    _query("due_within", {"type": "integer", "minimum": 1, "maximum": 60},
           "N 个工作日内到期（尚未逾期）"),
    _query("overdue", FLAG, "1：只看已逾期"),
    _query("mine", FLAG, "1：只看本人认领的"),
    _query("q", {"type": "string", "maxLength": 100},
           "按案号（全角、半角括号均可）、当事人、流程摘要或事项名称搜索"
           "（事项名称仅对有权查看提交该名称之任务的人员有效，件数亦然）"),
]  # fmt: skip
PAGING = [
    _query("sort", {"enum": ["due", "-due"]}, "due：截止日期从近到远（默认）；-due：从远到近"),
    _query("limit", {"type": "integer", "minimum": 1, "maximum": 200}, "每页条数，默认 200"),
    _query("after", {"type": "string", "maxLength": 100}, "上一页响应头 X-Next-After 的值"),
]

SCHEMAS: dict[str, Schema] = {
    "Claim": {
        "type": ["object", "null"], "description": "认领人（未认领为 null）",
        "properties": {"username": STR, "name": STR, "since": STR},
        "required": ["username", "name", "since"],
    },
    "InboxTask": {"allOf": [TASK, _obj({"process_id": STR, "process_name": STR,
                                        "claimed_by": _ref("Claim")})]},
    "ClaimedTask": {"allOf": [TASK, _obj({"claimed_by": _ref("Claim")})]},
    "Draft": _obj({"data": _nullable("object"), "saved_at": _nullable("string")}),
    "Comment": _obj({"id": INT, "task_id": INT, "author": STR, "author_name": STR, "body": STR,
                     "created_at": STR}),
}  # fmt: skip

BODIES: dict[str, Schema] = {
    "api.take_over_task": _obj({"reason": {"type": "string", "minLength": 1, "maxLength": 200}}),
    "api.draft": _obj({"data": {"type": "object", "description": "表单字段的值，不查必填项"}}),
    "api.comments": _obj({"body": {"type": "string", "minLength": 1, "maxLength": 2000}}),
}

CLAIMED = _responses({200: _json(_ref("ClaimedTask"))}, 404, 409)

OPERATIONS: dict[tuple[str, str], Schema] = {
    ("get", "/tasks"): {
        "x-endpoint": "api.list_tasks",
        "summary": "本人可办理的待办任务：筛选、搜索、按截止日期排序、分页",
        "description": "按截止日期排序，无截止日期的排在最后；每页至多 limit 条。还有下一页时，"
        "响应头 Link（rel=\"next\"）给出下一页的地址，X-Next-After 给出其 after 值。",
        "parameters": INBOX_FILTERS + PAGING,
        "responses": _responses({200: _json({"type": "array", "items": _ref("InboxTask")})}),
    },
    ("get", "/tasks/counts"): {
        "x-endpoint": "api.task_counts", "summary": "待办任务在各筛选条件下的件数（可按 q 搜索）",
        "parameters": INBOX_FILTERS,
        "responses": _responses({200: _json(_obj(
            {"total": INT, "overdue": INT, "due_soon": INT, "due_soon_days": INT, "mine": INT,
             "count_limit": INT,
             "processes": {"type": "array", "items": _obj(
                 {"process_id": STR, "name": STR, "count": INT})}}))}),
    },
    ("post", "/tasks/{task_id}/claim"): {
        "x-endpoint": "api.claim_task",
        "summary": "认领任务（本单位其他人员可见；认领后仅认领人可提交）",
        "parameters": TASK_ID, "responses": CLAIMED,
    },
    ("post", "/tasks/{task_id}/release"): {
        "x-endpoint": "api.release_task", "summary": "放弃认领（仅认领人）",
        "parameters": TASK_ID, "responses": CLAIMED,
    },
    ("post", "/tasks/{task_id}/takeover"): {
        "x-endpoint": "api.take_over_task",
        "summary": "填写理由接手他人认领的任务（原认领人收到通知）",
        "parameters": TASK_ID, "requestBody": _json_body("api.take_over_task", BODIES),
        "responses": CLAIMED,
    },
    ("put", "/tasks/{task_id}/draft"): {
        "x-endpoint": "api.draft", "summary": "暂存表单（每人每任务一份，任务办结后删除）",
        "parameters": TASK_ID, "requestBody": _json_body("api.draft", BODIES),
        "responses": _responses({200: _json(_ref("Draft"))}, 404, 409, 413),
    },
    ("get", "/tasks/{task_id}/draft"): {
        "x-endpoint": "api.draft", "summary": "本人暂存的表单（没有时 data 为 null）",
        "parameters": TASK_ID, "responses": _responses({200: _json(_ref("Draft"))}, 404),
    },
    ("get", "/tasks/{task_id}/comments"): {
        "x-endpoint": "api.comments", "summary": "任务的办理意见（可查看任务内容的人员可见）",
        "parameters": TASK_ID,
        "responses": _responses({200: _json({"type": "array", "items": _ref("Comment")})}, 404),
    },
    ("post", "/tasks/{task_id}/comments"): {
        "x-endpoint": "api.comments", "summary": "添加办理意见（记入流程实例的历史）",
        "parameters": TASK_ID, "requestBody": _json_body("api.comments", BODIES),
        "responses": _responses({201: _json(_ref("Comment"), "已添加")}, 404),
    },
}  # fmt: skip
