"""Who may do what: the one table of roles × actions.

Pages (through the route table in ``app/web/permissions.py``), the API and the services all ask
:func:`may`. The table decides roles only: *which* unit's records a permitted role reads is the
read rule's business (``access``), and which tasks a person works on is their unit's and the
task's (``instances``). ``system`` is the actor of timers, the scheduler and the command line;
no person has that role.
"""

from __future__ import annotations

from enum import StrEnum

from app.errors import Forbidden
from app.models import ROLES

SYSTEM = "system"


class Action(StrEnum):
    ACCOUNT = "account"  # log out, change one's own password
    READ = "read"  # inbox, tasks, cases, instances, documents, dashboard (per the read rule)
    WORK = "work"  # complete a task of one's unit, attach, record service, start, substitutes
    READ_EVERY_TASK = "read_every_task"  # every task's content, whichever unit did it
    SEE_ALL_UNITS = "see_all_units"  # every unit's instances, cases and figures
    MANAGE_DEADLINE = "manage_deadline"  # 中止 / 恢复 / 延长
    REASSIGN = "reassign"  # hand one task to another person
    CLAIM = "claim"  # 认领 / 放弃认领 a task one may work on
    TAKE_OVER = "take_over"  # 接手 a task a colleague claimed (with a reason)
    COMMENT = "comment"  # 办理意见 on a task one may read
    REMIND = "remind"  # 催办 (and the bulk page; each reassignment there is checked as REASSIGN)
    REGISTER_CASE = "register_case"  # 登记法院移送案件
    IMPORT_COURT_LISTS = "import_court_lists"  # 导入法院移送案件清单、裁判结果清单
    START_FOR_CASE = "start_for_case"  # start a case-bound process by hand (诉中化解)
    SEND_COURT_MESSAGE = "send_court_message"
    SEND_PROCESS_MESSAGE = "send_process_message"  # a BPMN message by name and correlation
    SEND_MESSAGE = "send_message"  # POST /messages: a court event or a process message
    EVALUATE = "evaluate"  # 败诉率考核
    RECORD_RECONSIDERATION = "record_reconsideration"  # 登记复议决定
    READ_MODELS = "read_models"  # diagrams, versions, diffs
    DEPLOY = "deploy"  # edit and deploy diagrams
    MIGRATE_INSTANCES = "migrate_instances"
    RESOLVE_INCIDENTS = "resolve_incidents"  # see and retry instances stopped by an error
    READ_AUDIT = "read_audit"  # the audit log and its verification
    VERIFY_AUDIT = "verify_audit"  # start a verification: changes no record
    READ_OUTAGES = "read_outages"  # 停机补发
    CHANGE_SETTINGS = "change_settings"  # the district's settings (app.config.DISTRICT_SETTINGS)
    REBUILD_STATS = "rebuild_stats"  # recompute the statistics' aggregates from the facts
    ARCHIVE = "archive"  # move finished instances past the retention period to the archive
    ADMINISTER = "administer"  # users, units, API tokens, the holiday schedule (系统管理)
    READ_RAW = "read_raw"  # records as stored: field keys, message JSON, action codes


PEOPLE = frozenset(ROLES)
EVERYONE = PEOPLE | {SYSTEM}
READERS = EVERYONE - {"court"}  # the court's token only sends messages
STAFF = READERS - {"auditor"}  # those who change things
AUDIT = frozenset({"auditor", "admin", "bureau"})
MODELERS = frozenset({"process_owner", "admin"})
EVALUATORS = frozenset({"bureau", "bureau_head", "admin"})
REASSIGNERS = frozenset({"agency_head", "center", "bureau_head", "admin"})
# who may send a process message (an integration's token is one of these accounts)
MESSAGE_SENDERS = frozenset({"center", "bureau", "process_owner", "admin", SYSTEM})

ALLOWED: dict[Action, frozenset[str]] = {
    Action.ACCOUNT: PEOPLE,
    Action.READ: READERS,
    Action.WORK: STAFF,
    Action.READ_EVERY_TASK: frozenset({"auditor", SYSTEM}),
    Action.SEE_ALL_UNITS: frozenset(
        {"center", "bureau", "bureau_head", "leader", "auditor", "admin", "process_owner", SYSTEM}
    ),
    Action.MANAGE_DEADLINE: frozenset({"center", "bureau", "bureau_head", "admin"}),
    Action.REASSIGN: REASSIGNERS,
    Action.CLAIM: STAFF - {SYSTEM},
    Action.TAKE_OVER: STAFF - {SYSTEM},
    Action.COMMENT: STAFF - {SYSTEM},
    Action.REMIND: REASSIGNERS | {"bureau"},
    Action.REGISTER_CASE: frozenset({"center", "admin"}),
    Action.IMPORT_COURT_LISTS: frozenset({"center", "admin"}),
    Action.START_FOR_CASE: frozenset({"agency", "agency_head", "center"}),
    Action.SEND_COURT_MESSAGE: frozenset({"court"}),
    Action.SEND_PROCESS_MESSAGE: MESSAGE_SENDERS,
    Action.SEND_MESSAGE: MESSAGE_SENDERS | {"court"},
    Action.EVALUATE: EVALUATORS | {SYSTEM},
    Action.RECORD_RECONSIDERATION: EVALUATORS,
    Action.READ_MODELS: MODELERS | {"bureau", "bureau_head", "auditor"},
    Action.DEPLOY: MODELERS,
    Action.MIGRATE_INSTANCES: MODELERS,
    Action.RESOLVE_INCIDENTS: MODELERS,
    Action.READ_AUDIT: AUDIT,
    Action.VERIFY_AUDIT: AUDIT,
    Action.READ_OUTAGES: AUDIT | {"center"},
    Action.CHANGE_SETTINGS: frozenset({"admin", SYSTEM}),
    Action.REBUILD_STATS: frozenset({"admin", SYSTEM}),
    Action.ARCHIVE: frozenset({"admin", SYSTEM}),
    Action.ADMINISTER: frozenset({"admin", SYSTEM}),
    Action.READ_RAW: frozenset({"admin"}),
}

# what a refusal says, naming who may
REFUSALS: dict[Action, str] = {
    Action.ACCOUNT: "请先登录",
    Action.READ: "法院接口令牌只能发送法院消息",
    Action.WORK: "只读账号不能办理任务",
    Action.READ_EVERY_TASK: "无权查看",
    Action.SEE_ALL_UNITS: "无权查看其他单位的记录",
    Action.MANAGE_DEADLINE: "只有调处中心或司法局可以中止、恢复或延长期限",
    Action.REASSIGN: "只有单位主要负责人（或调处中心）可以改派任务",
    Action.CLAIM: "只读账号不能认领任务",
    Action.TAKE_OVER: "只读账号不能接手任务",
    Action.COMMENT: "只读账号不能填写办理意见",
    Action.REMIND: "无权催办",
    Action.REGISTER_CASE: "只有调处中心可以登记法院移送案件",
    Action.IMPORT_COURT_LISTS: "只有调处中心可以导入法院的案件清单和裁判结果清单",
    Action.START_FOR_CASE: "只有行政机关或调处中心可以为案件发起诉中化解",
    Action.SEND_COURT_MESSAGE: "只有法院的接口令牌可以发送法院消息",
    Action.SEND_PROCESS_MESSAGE: "只有调处中心、司法局、流程管理员或系统管理员可以发送流程消息",
    Action.SEND_MESSAGE: "只有法院的接口令牌或调处中心、司法局、流程管理员、系统管理员可以发送消息",
    Action.EVALUATE: "只有司法局可以开展败诉率评估",
    Action.RECORD_RECONSIDERATION: "只有区司法局可以登记行政复议决定",
    Action.READ_MODELS: "只有流程管理员、司法局和审计人员可以查看流程模型",
    Action.DEPLOY: "只有流程管理员可以部署流程定义",
    Action.MIGRATE_INSTANCES: "只有流程管理员可以迁移流程实例",
    Action.RESOLVE_INCIDENTS: "只有流程管理员可以查看和处理流程故障",
    Action.READ_AUDIT: "只有审计、司法局和管理员可以查看审计日志",
    Action.VERIFY_AUDIT: "只有审计、司法局和管理员可以校验审计链",
    Action.READ_OUTAGES: "只有调处中心、司法局、审计和管理员可以查看",
    Action.CHANGE_SETTINGS: "只有系统管理员可以修改设置",
    Action.REBUILD_STATS: "只有系统管理员可以重建统计汇总",
    Action.ARCHIVE: "只有系统管理员可以归档流程实例",
    Action.ADMINISTER: "只有系统管理员可以管理用户、单位、接口令牌和节假日安排",
    Action.READ_RAW: "只有系统管理员可以查看原始记录",
}


def may(role: str, action: Action) -> bool:
    return role in ALLOWED[action]


def require(role: str, action: Action, refusal: str | None = None) -> None:
    """Raise :class:`Forbidden` (with the Chinese refusal) unless ``role`` may ``action``."""
    if not may(role, action):
        raise Forbidden(refusal or REFUSALS[action])
