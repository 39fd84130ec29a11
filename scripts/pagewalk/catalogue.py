"""Every page a person sees, as the user who sees it: the one list the quick benchmark's page
walk (on the demo data) and the scale benchmark (at twenty years' volume) both request.

``find_samples`` reads, from whatever database is served, the ids the pages are asked about:
a case in the middle of the history, its instance, an open task of each kind of worker (the
center, an agency's head, a legal adviser, the bureau), a document, the adviser's material.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from app.db import Database
from app.models import Attachment, Case, Document, ProcessInstance, TaskRecord, User
from app.models.states import TaskStatus
from pagewalk.client import Pages

# whose open task is shown (a task page with its 办理依据), by username
TASK_WORKERS = ("center", "gtzy_head", "gtzy_lawyer", "bureau")
MODELED = "legality_review"  # the process the modeler and version pages show
AGENCY = "GTZY"


@dataclass
class Samples:
    """Ids and values the pages are asked about."""

    today: date
    case_no: str
    case_id: int
    party: str
    instance_id: int
    tasks: dict[str, int] = field(default_factory=dict)  # username -> an open task of theirs
    document_id: int = 0
    attachment_id: int = 0  # material the legal adviser reviews (0: none)
    calendar_token: str = ""  # a calendar subscription of the center ("" : none)


def _open_task(session: Session, username: str) -> int | None:
    """The newest open task the user may do in their own right."""
    user = session.scalars(select(User).where(User.username == username)).one_or_none()
    if user is None:
        return None
    return session.scalar(
        select(TaskRecord.id)
        .where(
            TaskRecord.status == TaskStatus.OPEN,
            TaskRecord.unit_id == user.unit_id,
            or_(TaskRecord.role.is_(None), TaskRecord.role == user.role),
            or_(TaskRecord.assignee_id.is_(None), TaskRecord.assignee_id == user.id),
        )
        .order_by(TaskRecord.id.desc())
        .limit(1)
    )


def find_samples(db: Database, today: date) -> Samples:
    with db.read() as session:
        middle = (session.scalar(select(func.max(Case.id))) or 0) // 2
        case = session.scalars(
            select(Case)
            .where(Case.id >= middle, Case.id.in_(select(ProcessInstance.case_id)))
            .order_by(Case.id)
            .limit(1)
        ).one()
        instance_id = session.scalar(
            select(ProcessInstance.id).where(ProcessInstance.case_id == case.id).limit(1)
        )
        tasks = {u: t for u in TASK_WORKERS if (t := _open_task(session, u)) is not None}
        attachment_id = 0
        if "gtzy_lawyer" in tasks:
            reviewed = session.get(TaskRecord, tasks["gtzy_lawyer"])
            attachment_id = session.scalar(
                select(func.max(Attachment.id)).where(
                    Attachment.instance_id == (reviewed.instance_id if reviewed else 0)
                )
            ) or 0  # fmt: skip
        document_id = session.scalar(select(func.max(Document.id))) or 0
        return Samples(today, case.case_no, case.id, case.plaintiff, instance_id or 0, tasks,
                       document_id, attachment_id)  # fmt: skip


def pages(s: Samples, pdf: bool = True) -> Pages:
    """name -> (username, path); ``pdf``: LibreOffice is installed (PDF pages offered)."""
    quarter = (s.today - timedelta(days=91)).isoformat()
    year = (s.today - timedelta(days=365)).isoformat()
    twenty = (s.today - timedelta(days=365 * 20 + 5)).isoformat()
    end = s.today.isoformat()
    found: Pages = {
        # 待办: a busy unit's, an agency's, and the center's with each of its tools
        "待办 (调处中心)": ("center", "/"),
        "待办 (自然资源局)": ("gtzy", "/"),
        "待办 (自然资源局 局长)": ("gtzy_head", "/"),
        "待办 (公职律师)": ("gtzy_lawyer", "/"),
        "待办 (司法局)": ("bureau", "/"),
        "待办 按流程": ("center", "/?process=pre_litigation_mediation"),
        "待办 按案件": ("center", f"/?case={s.case_id}"),
        "待办 五个工作日内到期": ("center", "/?due_within=5"),
        "待办 已逾期": ("center", "/?overdue=1"),
        "待办 我认领的": ("center", "/?mine=1"),
        "待办 搜索案号": ("center", f"/?q={s.case_no}"),
        "待办 截止日期从远到近": ("center", "/?sort=-due"),
        # the work on a case
        "流程实例": ("leader", "/instances"),
        "流程实例 按案号": ("leader", f"/instances?case_no={s.case_no}"),
        "流程实例 进行中": ("leader", "/instances?status=running"),
        "流程实例 已超期": ("leader", "/instances?overdue=1"),
        "流程实例 按单位": ("leader", f"/instances?unit={AGENCY}"),
        "流程实例 按流程": ("leader", "/instances?process_id=pre_litigation_mediation"),
        "流程实例 (自然资源局)": ("gtzy", "/instances"),
        "案件": ("leader", "/cases"),
        "案件 按案号": ("leader", f"/cases?q={s.case_no}"),
        "案件 按当事人": ("leader", f"/cases?q={s.party}"),
        "案卷": ("leader", f"/cases/{s.case_id}"),
        "案卷 打印": ("auditor", f"/cases/{s.case_id}/print"),
        "流程实例详情": ("leader", f"/instances/{s.instance_id}"),
        "流程图": ("leader", f"/instances/{s.instance_id}/diagram.bpmn"),
        "卷宗 zip": ("auditor", f"/instances/{s.instance_id}/dossier.zip"),
        "文书下载": ("leader", f"/documents/{s.document_id}"),
        "通知": ("center", "/notifications"),
        "日历订阅": ("center", "/calendar"),
        "发起流程": ("gtzy", "/processes"),
        "登记法院移送案件": ("center", "/cases/new"),
        "登记复议决定": ("bureau", "/reconsiderations/new"),
        "代理人": ("center", "/substitutes"),
        "导入法院名单": ("center", "/imports"),
        "修改密码": ("gtzy", "/password"),
        # statistics, audit, administration, modelling
        "统计分析": ("leader", "/dashboard"),
        "统计分析 一季度": ("leader", f"/dashboard?from={quarter}&to={end}"),
        "统计分析 一年": ("leader", f"/dashboard?from={year}&to={end}"),
        "统计分析 二十年": ("leader", f"/dashboard?from={twenty}&to={end}"),
        "统计分析 一单位 一年": ("gtzy", f"/dashboard?from={year}&to={end}"),
        "统计分析 一单位 二十年": ("gtzy", f"/dashboard?from={twenty}&to={end}"),
        "导出 Excel 二十年": ("leader", f"/dashboard.xlsx?from={twenty}&to={end}"),
        "通报 docx 一年": ("leader", f"/dashboard/bulletin.docx?from={year}&to={end}"),
        "审计日志": ("auditor", "/audit"),
        "审计日志 按案件": ("auditor", f"/audit?case_id={s.case_id}"),
        "运行异常": ("owner", "/incidents"),
        "停机报告": ("admin", "/outage"),
        "用户管理": ("admin", "/admin/users"),
        "用户": ("admin", "/admin/users/gtzy"),
        "单位管理": ("admin", "/admin/units"),
        "系统设置": ("admin", "/admin/settings"),
        "接口令牌": ("admin", "/admin/tokens"),
        "节假日": ("admin", "/admin/holidays"),
        "流程建模": ("owner", f"/processes/{MODELED}/modeler"),
        "新建流程": (
            "owner",
            f"/processes/new/modeler?process_id=new_review&name=新流程&template={MODELED}",
        ),
        "流程版本": ("owner", f"/processes/{MODELED}/versions"),
        "上传流程": ("owner", "/processes/upload"),
        # the API's lists and records
        "api 待办": ("center", "/api/v1/tasks"),
        "api 待办 计数": ("center", "/api/v1/tasks/counts"),
        "api 案件 按案号": ("leader", f"/api/v1/cases?q={s.case_no}"),
        "api 案件": ("leader", f"/api/v1/cases/{s.case_id}"),
        "api 流程实例": ("leader", f"/api/v1/instances/{s.instance_id}"),
        "api 流程": ("gtzy", "/api/v1/processes"),
        "api 运行异常": ("owner", "/api/v1/incidents"),
        "api 审计事件": ("auditor", "/api/v1/audit/events"),
        "api 期限计算": ("center", f"/api/v1/calendar/deadline?from={end}&working_days=5"),
        "api 败诉率 二十年": ("leader", f"/api/v1/stats/loss-rate?from={twenty}&to={end}"),
        "api 败诉率 一年": ("leader", f"/api/v1/stats/loss-rate?from={year}&to={end}"),
        "api 接口文档": ("gtzy", "/api/v1/openapi.json"),
    }
    for username, task_id in s.tasks.items():  # each worker's task page, with its context
        found[f"任务 ({username})"] = (username, f"/tasks/{task_id}")
        found[f"api 任务 ({username})"] = (username, f"/api/v1/tasks/{task_id}")
    if s.attachment_id:  # the material under review, as the adviser opens it
        found["审查材料"] = ("gtzy_lawyer", f"/attachments/{s.attachment_id}")
        found["审查材料 预览"] = ("gtzy_lawyer", f"/attachments/{s.attachment_id}/preview")
    if pdf and s.document_id:
        found["文书 PDF"] = ("leader", f"/documents/{s.document_id}/pdf")
    if s.calendar_token:
        found["日历订阅源 ics"] = ("center", f"/calendar/{s.calendar_token}.ics")
    return found
