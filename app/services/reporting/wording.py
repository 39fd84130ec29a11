"""Records as Chinese sentences: who did what to which task, what a court message says.

The one place that turns an audit event (``task.complete`` + its detail), a court message's
payload, or a login name into what a person reads: "王敏（洪泽区行政争议调处中心）提交了“法律顾问
审核”". Administrators may still open the raw record; nobody else sees field keys, JSON or
action codes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import AuditEvent, CourtMessage, TaskRecord, Unit, User
from app.services.court.messages import NAMES as MESSAGE_NAMES
from app.services.identity import org
from app.services.records import archive_store
from app.services.reporting.labels import plain

SYSTEM_NAMES = {"system": "系统", "": "系统"}

# action -> what it is, in a word (lists, filters)
ACTIONS = {
    "instance.start": "启动流程",
    "instance.complete": "流程办结",
    "instance.error": "流程出错",
    "instance.incident": "流程故障（运行出错，已停下）",
    "incident.retry": "故障重试，流程继续",
    "incident.correct": "更正故障实例的数据（待重试）",
    "instance.cancel": "撤销流程",
    "instance.archive": "归档流程",
    "case.archive": "归档案件",
    "instance.started_by_task": "办结后启动流程",
    "task.complete": "提交任务",
    "task.claim": "认领任务",
    "task.release": "放弃认领",
    "task.takeover": "接手任务",
    "task.draft": "暂存",
    "task.comment": "办理意见",
    "timer.fired": "期限届满（催办）",
    "case.register": "登记案件",
    "case.import": "从清单登记案件",
    "message.import": "从清单导入裁判结果",
    "court_list.import": "导入法院清单",
    "case.judgment_correct": "更正裁判结果",
    "case.loss_reversed": "败诉结果被更正",
    "definition.deploy": "部署流程",
    "instance.migrate": "迁移到新版本",
    "calendar.import": "导入节假日安排",
    "login.failed": "登录失败",
    "login.ip_blocked": "登录来源地址被暂时限制",
    "login.refused_locked": "锁定期间尝试登录",
    "login.oidc_refused": "统一身份认证登录被拒绝",
    "auth.login": "登录",
    "auth.logout": "退出登录",
    "password.change": "修改密码",
    "password.change_refused": "修改密码时当前密码错误",
    "user.locked": "账户锁定",
    "user.deactivate": "停用用户",
    "user.reactivate": "恢复用户",
    "user.unlock": "解除锁定",
    "user.password_reset": "重置密码",
    "user.role_change": "变更角色",
    "user.unit_change": "变更单位",
    "token.revoke": "撤销接口令牌",
    "document.read": "下载文书",
    "attachment.read": "下载附件",
    "dossier.export": "导出卷宗",
    "message.receive": "收到法院消息",
    "message.delivered": "消息送达流程",
    "message.send": "流程发出消息",
    "signal.delivered": "信号送达流程",
    "unit.add": "添加单位",
    "user.add": "添加用户",
    "token.create": "创建接口令牌",
    "user.email_change": "修改电子邮箱",
    "webhook.set": "设置群机器人",
    "webhook.remove": "移除群机器人",
    "stats.rebuild": "重建统计汇总",
    "calendar_feed.issue": "生成日历订阅地址",
    "calendar_feed.revoke": "停用日历订阅",
    "unit.reviewer": "指定合法性审查专人",
    "unit.adviser_firm": "登记法律顾问单位",
    "setting.change": "修改设置",
    "evaluation.run": "败诉率评估",
    "deadline.suspend": "中止期限",
    "deadline.resume": "恢复期限",
    "deadline.extend": "延长期限",
    "deadline.serve": "登记送达",
    "deadline.recompute": "重新计算期限（节假日安排变更）",
    "ladder.reminder": "到期提醒",
    "ladder.head": "逾期催办（主要负责人）",
    "ladder.escalation": "逾期督办",
    "timer.missed_during_outage": "停机期间到期（启动后补发）",
    "task.reassign": "改派任务",
    "task.remind": "催办",
    "substitute.name": "指定代理人",
    "audit.verify": "校验审计链",
    "state.write": "状态写入",
    "backup.restore": "从备份恢复",
}


def action_label(action: str) -> str:
    """An action's name; one the table does not know yet is "其他操作", never its code."""
    return ACTIONS.get(action, "其他操作")


# -- people ---------------------------------------------------------------------------------
def people(session: Session, usernames: Iterable[str | None]) -> dict[str, str]:
    """Login name -> the person, for every name given (a substitute's "a（代 b）" included)."""
    names: set[str] = set()
    for raw in usernames:
        if raw:
            names.update(_login_names(raw))
    names -= SYSTEM_NAMES.keys()
    if not names:
        return {}
    rows = session.scalars(select(User).where(User.username.in_(sorted(names))))
    return {u.username: org.person(u) for u in rows}


def _login_names(raw: str) -> list[str]:
    if "（代 " in raw and raw.endswith("）"):
        doer, absent = raw[:-1].split("（代 ", 1)
        return [doer, absent]
    return [raw]


def person_of(raw: str, known: Mapping[str, str]) -> str:
    """A recorded login name as the person; "李四（…）代 张三（…）" for a substitute."""
    if raw in SYSTEM_NAMES:
        return SYSTEM_NAMES[raw]
    names = _login_names(raw)
    shown = [known.get(n, n) for n in names]
    return f"{shown[0]} 代 {shown[1]}" if len(shown) == 2 else shown[0]


# -- audit events -------------------------------------------------------------------------------
@dataclass(frozen=True)
class EventWords:
    """What an event sentence may draw on besides the event itself."""

    people: Mapping[str, str]
    task_names: Mapping[int, str]  # task id -> its name
    units: Mapping[str, str]  # unit code -> name


def _task(detail: Mapping[str, Any], words: EventWords) -> str:
    task_id = detail.get("task_id")
    return words.task_names.get(task_id, "任务") if isinstance(task_id, int) else "任务"


def _reason(detail: Mapping[str, Any]) -> str:
    reason = detail.get("reason")
    return f"（理由：{reason}）" if reason else ""


def _someone(detail: Mapping[str, Any], key: str, words: EventWords) -> str:
    name = detail.get(key)
    return person_of(str(name), words.people) if name else ""


def _message_name(detail: Mapping[str, Any]) -> str:
    name = str(detail.get("message") or detail.get("name") or "")
    return MESSAGE_NAMES.get(name, "法院消息")


def _corrected(detail: Mapping[str, Any]) -> str:
    """The corrected fields by their forms' labels; those no form names, counted (the
    history shows no raw key)."""
    named = [str(n) for n in detail.get("fields") or [] if n]
    unnamed = detail.get("unnamed")
    if isinstance(unnamed, int) and unnamed > 0:
        named.append(f"{unnamed} 项未在表单中命名的流程数据")
    return "、".join(named) or "流程数据"


def _retried(who: str, detail: Mapping[str, Any]) -> str:
    if detail.get("to_version"):
        moved = f"将流程迁移到 v{detail['to_version']} 后重试"
        return f"{who}处理了流程故障：{moved}，流程继续"
    if detail.get("corrections"):
        return f"{who}处理了流程故障：更正了{_corrected(detail)}{_reason(detail)}后重试，流程继续"
    return f"{who}处理了流程故障，流程继续{_reason(detail)}"


def _delivered(detail: Mapping[str, Any]) -> str:
    """A court message by its Chinese name; any other message (from ``POST /api/v1/messages``
    or another instance) by the name the diagram gives it."""
    name = str(detail.get("message") or "")
    if name in MESSAGE_NAMES or not name:
        return f"法院消息“{_message_name(detail)}”"
    return f"消息“{name}”"


def _reached(detail: Mapping[str, Any]) -> str:
    delivered, started = len(detail.get("delivered_to") or []), len(detail.get("started") or [])
    if not delivered and not started:
        return "没有流程在等待它，未送达"
    parts = [f"送达 {delivered} 个流程"] if delivered else []
    parts += [f"启动 {started} 个流程"] if started else []
    return "、".join(parts)


Sentence = Callable[[str, Mapping[str, Any], EventWords], str]
# action -> the sentence; ``who`` is the person who did it, already named
SENTENCES: dict[str, Sentence] = {
    "task.complete": lambda who, d, w: f"{who}提交了“{_task(d, w)}”",
    "task.reassign": lambda who, d, w: (
        f"{who}将“{_task(d, w)}”改派给 {_someone(d, 'to', w)}{_reason(d)}"
    ),
    "task.remind": lambda who, d, w: f"{who}催办“{_task(d, w)}”{_reason(d)}",
    "task.claim": lambda who, d, w: f"{who}认领了“{_task(d, w)}”",
    "task.release": lambda who, d, w: f"{who}放弃认领“{_task(d, w)}”",
    "task.takeover": lambda who, d, w: f"{who}接手了“{_task(d, w)}”{_reason(d)}",
    "task.draft": lambda who, d, w: f"{who}暂存了“{_task(d, w)}”",
    "task.comment": lambda who, d, w: (
        f"{who}对“{_task(d, w)}”提出办理意见" + (f"：{d['body']}" if d.get("body") else "")
    ),
    "deadline.suspend": lambda who, d, w: f"{who}中止了“{_task(d, w)}”的期限{_reason(d)}",
    "deadline.resume": lambda who, d, w: f"{who}恢复了“{_task(d, w)}”的期限{_reason(d)}",
    "deadline.extend": lambda who, d, w: (
        f"{who}将“{_task(d, w)}”的期限延长 {d.get('days', '')} 个工作日{_reason(d)}"
    ),
    "deadline.serve": lambda who, d, w: (
        f"{who}登记了“{_task(d, w)}”的送达（{d.get('served_on', '')}，{d.get('evidence', '')}）"
    ),
    "deadline.recompute": lambda who, d, w: f"节假日安排变更，重新计算了“{_task(d, w)}”的期限",
    "timer.missed_during_outage": lambda who, d, w: (
        f"“{_task(d, w)}”的期限在停机期间届满，启动后补发"
    ),
    "ladder.reminder": lambda who, d, w: f"系统提醒“{_task(d, w)}”即将到期",
    "ladder.head": lambda who, d, w: f"“{_task(d, w)}”已逾期，系统催办单位主要负责人",
    "ladder.escalation": lambda who, d, w: f"“{_task(d, w)}”逾期未办，系统报请督办",
    "document.read": lambda who, d, w: f"{who}下载了文书《{d.get('name', '')}》",
    "attachment.read": lambda who, d, w: f"{who}查看了附件“{d.get('name', '')}”",
    "dossier.export": lambda who, d, w: f"{who}导出了卷宗",
    "message.receive": lambda who, d, w: f"收到法院消息：{_message_name(d)}",
    "message.delivered": lambda who, d, w: f"{_delivered(d)}送达本流程",
    "message.send": lambda who, d, w: f"本流程发出消息“{d.get('name', '')}”，{_reached(d)}",
    "instance.start": lambda who, d, w: f"{who}启动了本流程",
    "instance.cancel": lambda who, d, w: f"{who}撤销了本流程{_reason(d)}",
    "instance.archive": lambda who, d, w: f"{who}将本流程移入归档库（只能查阅，不能再办理）",
    "case.archive": lambda who, d, w: f"{who}将案件 {d.get('case_no', '')} 移入归档库",
    "instance.complete": lambda who, d, w: "流程办结",
    "instance.error": lambda who, d, w: "流程运行出错，已通知流程管理员",
    "instance.incident": lambda who, d, w: (
        "流程故障，已停下待处理" + (f"：{d['reason']}" if d.get("reason") else "")
    ),
    "incident.retry": lambda who, d, w: _retried(who, d),
    "incident.correct": lambda who, d, w: (
        f"{who}更正了出错环节的数据：{_corrected(d)}{_reason(d)}，尚未重试"
    ),
    "case.register": lambda who, d, w: f"{who}登记了案件",
    "user.locked": lambda who, d, w: f"{_someone(d, 'username', w)}的账户因多次输错密码被暂时锁定",
    "user.unlock": lambda who, d, w: f"{who}解除了 {_someone(d, 'username', w)} 的账户锁定",
    "user.add": lambda who, d, w: f"{who}添加了用户 {_someone(d, 'username', w)}",
    "user.deactivate": lambda who, d, w: f"{who}停用了用户 {_someone(d, 'username', w)}",
    "user.reactivate": lambda who, d, w: f"{who}恢复了用户 {_someone(d, 'username', w)}",
    "user.password_reset": lambda who, d, w: f"{who}重置了 {_someone(d, 'username', w)} 的密码",
    "substitute.name": lambda who, d, w: (
        f"{who}指定 {_someone(d, 'substitute', w)} 为代理人"
        f"（{d.get('starts_on', '')} 至 {d.get('ends_on', '')}）"
    ),
}


def event_people(events: Iterable[AuditEvent]) -> set[str]:
    """The login names an event sentence may name: its actor and the people in its detail."""
    found = set()
    for event in events:
        found.add(event.actor)
        for key in ("to", "username", "substitute"):
            value = (event.detail or {}).get(key)
            if isinstance(value, str):
                found.add(value)
    return found


def event_sentence(event: AuditEvent, detail: Mapping[str, Any] | None, words: EventWords) -> str:
    """The event as a sentence; ``detail`` is None when the reader may not read its content
    (then the task is still named, but no reason, data or file)."""
    who = person_of(event.actor, words.people)
    shown: Mapping[str, Any] = detail if detail is not None else _bare(event.detail or {})
    sentence = SENTENCES.get(event.action)
    text = sentence(who, shown, words) if sentence else f"{who}：{action_label(event.action)}"
    return text if detail is not None else f"{text}（内容无权查看）"


def _bare(detail: Mapping[str, Any]) -> dict[str, Any]:
    """What of a hidden event's detail may still be said: which task it was about."""
    return {k: v for k, v in detail.items() if k == "task_id"}


def task_names(session: Session, events: Iterable[AuditEvent]) -> dict[int, str]:
    ids = {e.detail["task_id"] for e in events if isinstance((e.detail or {}).get("task_id"), int)}
    if not ids:
        return {}
    query = select(TaskRecord.id, TaskRecord.name).where(TaskRecord.id.in_(ids))
    names = {row.id: row.name for row in session.execute(query)}
    if len(names) < len(ids) and archive_store.ready(session.connection()):
        with archive_store.archive_first(session):  # tasks of archived instances
            names.update({row.id: row.name for row in session.execute(query)})
    return names


def unit_names(session: Session) -> dict[str, str]:
    return {row.code: row.name for row in session.execute(select(Unit.code, Unit.name))}


def event_words(session: Session, events: list[AuditEvent]) -> EventWords:
    return EventWords(
        people(session, event_people(events)), task_names(session, events), unit_names(session)
    )


# -- court messages -------------------------------------------------------------------------
# payload key -> its label (docs/api.md#court-messages)
MESSAGE_FIELDS = {
    "plaintiff": "原告",
    "agency_unit": "案涉行政机关",
    "subject": "争议事项",
    "claims": "诉讼请求",
    "court": "管辖法院",
    "received_on": "调处中心收到日期",
    "letter_no": "预警函编号",
    "reason": "预警理由",
    "served_on": "送达日期",
    "outcome": "裁判结果",
    "effective_on": "生效日期",
    "performance_deadline": "履行期限",
    "defendants": "被告",
    "losing_units": "败诉单位",
    "orders_new_act": "判决重新作出行政行为或采取补救措施",
    "correction": "更正此前的裁判结果",
    "correction_reason": "更正理由",
    "closed_on": "结案日期",
}
UNIT_FIELDS = frozenset({"agency_unit", "defendants", "losing_units"})


def message_facts(message: CourtMessage, units: Mapping[str, str]) -> list[tuple[str, str]]:
    """A court message's payload as labelled facts, units by name, dates as dates."""
    facts = []
    payload = message.payload or {}
    for key, label in MESSAGE_FIELDS.items():
        if key not in payload or payload[key] in (None, "", []):
            continue
        value = payload[key]
        if key in UNIT_FIELDS:
            codes = value if isinstance(value, list) else [value]
            text = "、".join(units.get(str(c), str(c)) for c in codes)
        elif key == "served_on" and isinstance(value, Mapping):
            text = "；".join(f"{units.get(str(c), str(c))} {plain(d)}" for c, d in value.items())
        else:
            text = plain(value)
        facts.append((label, text))
    return facts
