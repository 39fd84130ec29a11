"""The inbox with its tools: filters, search, sort by due date, keyset paging, counts.

A page is read with a keyset on (due date, id), dated tasks first and then undated ones by id,
along ``ix_tasks_inbox`` (or ``ix_tasks_inbox_process``, ``ix_tasks_claimed`` for those
filters), so the cost grows with the page size, not with how many tasks a busy unit holds. A
search first finds the few cases and instances it names and then their tasks, instead of
reading every task of the unit. Each count stops at ``COUNT_LIMIT`` (shown as "1000+"), so
counting costs no more than reading a thousand rows however large the inbox grows.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime

from sqlalchemy import ColumnElement, Select, and_, exists, false, func, or_, select
from sqlalchemy.orm import Session, aliased

from app import case_numbers, clock, inputs
from app.errors import InvalidInput
from app.models import Case, MatterTitle, ProcessDefinition, ProcessInstance, TaskRecord, User
from app.models.states import InstanceStatus, TaskStatus
from app.services.actor import Actor
from app.services.execution import holidays
from app.services.identity import access
from app.services.identity.permissions import Action, may

MAX_PAGE = 200
MAX_DUE_WITHIN = 60
MAX_SEARCH = 100
SORTS = {"due": "截止日期从近到远", "-due": "截止日期从远到近"}


@dataclass(frozen=True)
class InboxFilter:
    process: str = ""  # process id
    case: int | None = None  # case id
    due_within: int | None = None  # working days from today (not yet overdue)
    overdue: bool = False
    mine: bool = False  # claimed by me
    q: str = ""  # case number, party, what an instance is about (its summary), matter title
    sort: str = "due"
    after: str = ""  # the cursor a page hands on
    limit: int = 50

    def active(self) -> bool:
        return bool(
            self.process or self.case or self.due_within or self.overdue or self.mine or self.q
        )

    def args(self, **changes: object) -> dict[str, str]:
        """As query parameters (what a link to another page or filter carries)."""
        changed = replace(self, **changes)  # type: ignore[arg-type]
        out = {
            "process": changed.process, "case": str(changed.case or ""),
            "due_within": str(changed.due_within or ""), "overdue": "1" if changed.overdue else "",
            "mine": "1" if changed.mine else "", "q": changed.q,
            "sort": changed.sort if changed.sort != "due" else "", "after": changed.after,
        }  # fmt: skip
        return {k: v for k, v in out.items() if v}


def parse_filter(
    args: Mapping[str, str], default_limit: int = 50, strict: bool = False
) -> InboxFilter:
    """Query parameters as a filter; every bad one named at once (InvalidInput). ``strict``
    (the API): a number, flag or sort given empty is an error, not "any"."""
    errors: dict[str, list[str]] = {}

    def empty(name: str) -> bool:
        raw = args.get(name)
        if strict and raw is not None and not raw.strip():
            errors[name] = ["不能为空"]
        return raw is None or not raw.strip()

    def number(name: str, low: int, high: int) -> int | None:
        if empty(name):
            return None
        raw = (args.get(name) or "").strip()
        if not raw.isdigit() or not low <= int(raw) <= high:
            errors[name] = [f"须为 {low} 至 {high} 的整数"]
            return None
        return int(raw)

    def flag(name: str) -> bool:
        empty(name)
        raw = (args.get(name) or "").strip().lower()
        if raw not in {"", "0", "1", "true", "false"}:
            errors[name] = ["须为 1 或 0"]
        return raw in {"1", "true"}

    q = (args.get("q") or "").strip()
    problem = inputs.text_problem(q, MAX_SEARCH)
    if problem:
        errors["q"] = [problem]
    process = (args.get("process") or "").strip()
    if inputs.text_problem(process, 100):
        errors["process"] = ["流程标识有误"]
    sort = "due" if empty("sort") else (args.get("sort") or "").strip()
    if sort not in SORTS:
        errors["sort"] = ["须为 due 或 -due"]
    after = (args.get("after") or "").strip()
    if after and _cursor(after) is None:
        errors["after"] = ["翻页标记有误，请从第一页开始"]
    found = InboxFilter(
        process=process, case=number("case", 1, 2**63 - 1),
        due_within=number("due_within", 1, MAX_DUE_WITHIN), overdue=flag("overdue"),
        mine=flag("mine"), q=q, sort=sort, after=after,
        limit=number("limit", 1, MAX_PAGE) or default_limit,
    )  # fmt: skip
    if errors:
        raise InvalidInput("筛选条件有误", errors)
    return found


@dataclass
class InboxRow:
    task: TaskRecord
    process_id: str
    process_name: str
    summary: str
    claimant: str | None  # 王敏（洪泽区自然资源和规划局）, None when unclaimed


@dataclass
class InboxPage:
    rows: list[InboxRow]
    next_after: str = ""  # the cursor of the next page ("" on the last)


COUNT_LIMIT = 1000  # a count stops here: "1000+"
SEARCH_LIMIT = 2000  # cases or instances a search names before it reads the tasks instead


@dataclass
class InboxCounts:
    """How many open tasks each filter holds, each at most ``COUNT_LIMIT``."""

    total: int = 0
    overdue: int = 0
    due_soon: int = 0  # within DUE_SOON working days
    mine: int = 0
    processes: list[tuple[str, str, int]] = field(default_factory=list)  # id, name, count

    @staticmethod
    def shown(count: int) -> str:
        return f"{COUNT_LIMIT}+" if count >= COUNT_LIMIT else str(count)


DUE_SOON = 3  # working days the "即将到期" count looks ahead


def _visible(actor: Actor) -> ColumnElement[bool]:
    """Open tasks of the actor's unit and role (and of those they substitute for today)."""
    parts = []
    for person in (actor, *actor.acting_for):
        if person.unit_id is None or not may(person.role, Action.WORK):
            continue
        parts.append(
            and_(
                TaskRecord.unit_id == person.unit_id,
                or_(TaskRecord.role.is_(None), TaskRecord.role == person.role),
                or_(TaskRecord.assignee_id.is_(None), TaskRecord.assignee_id == person.user_id),
            )
        )
    if not parts:
        return false()
    return and_(TaskRecord.status == TaskStatus.OPEN, or_(*parts))


def _due_limit(session: Session, days: int) -> datetime:
    return holidays.load(session).add_working_days(clock.local_now().date(), days).due_at


def _filtered(session: Session, actor: Actor, wanted: InboxFilter, stmt: Select) -> Select:
    stmt = stmt.where(_visible(actor))
    now = clock.now()
    if wanted.process:
        stmt = stmt.where(TaskRecord.process_id == wanted.process)
    if wanted.case:
        stmt = stmt.where(_narrowed(session, TaskRecord.case_id == wanted.case))
    if wanted.overdue:
        stmt = stmt.where(TaskRecord.due_at < now)
    if wanted.due_within:
        limit = _due_limit(session, wanted.due_within)
        stmt = stmt.where(TaskRecord.due_at >= now, TaskRecord.due_at <= limit)
    if wanted.mine:
        stmt = stmt.where(TaskRecord.claimed_by_id == actor.user_id)
    if wanted.q:
        stmt = stmt.where(_search(session, actor, wanted.q))
    return stmt


def _search(session: Session, actor: Actor, q: str) -> ColumnElement[bool]:
    """Tasks of the cases (case number, party) and instances (what they are about, as their
    start data says: a unit, a period, a reference; a matter's title, for whoever may read the
    task that wrote it) that ``q`` names: the ids when they are few, so that the tasks are
    found through their own indexes, else the queries themselves."""
    number = case_numbers.normalize(q)
    cases = select(Case.id).where(  # "%" and "_" typed in a search are literal
        or_(Case.case_no.contains(number, autoescape=True),
            Case.case_no.contains(q, autoescape=True), Case.plaintiff.contains(q, autoescape=True))
    )  # fmt: skip
    about = select(ProcessInstance.id).where(
        ProcessInstance.status == InstanceStatus.RUNNING,
        ProcessInstance.summary.contains(q, autoescape=True),
    )
    titled = _titled(session, actor, q)
    case_ids = session.scalars(cases.limit(SEARCH_LIMIT + 1)).all()
    instance_ids = session.scalars(about.limit(SEARCH_LIMIT + 1)).all()
    if len(case_ids) > SEARCH_LIMIT or len(instance_ids) > SEARCH_LIMIT:
        return or_(
            TaskRecord.case_id.in_(cases),
            TaskRecord.instance_id.in_(about),
            TaskRecord.instance_id.in_(titled),
        )
    instance_ids = sorted({*instance_ids, *titled})
    if not case_ids and not instance_ids:
        return false()
    by_case = _task_ids(session, TaskRecord.case_id.in_(case_ids))
    by_instance = _task_ids(session, TaskRecord.instance_id.in_(instance_ids))
    if by_case is None or by_instance is None:
        return or_(TaskRecord.case_id.in_(case_ids), TaskRecord.instance_id.in_(instance_ids))
    return TaskRecord.id.in_(sorted({*by_case, *by_instance}))


def _titled(session: Session, actor: Actor, q: str) -> list[int]:
    """The instances in the actor's inbox whose matter title (事项名称) ``q`` names, as written
    by a task the actor may read (``access``): a title is found, and counted, only by those
    who may see it. At most ``SEARCH_LIMIT`` titles, the newest first."""
    in_inbox = exists().where(TaskRecord.instance_id == MatterTitle.instance_id, _visible(actor))
    found = session.execute(
        select(MatterTitle.instance_id, MatterTitle.task_id)
        .where(MatterTitle.title.contains(q, autoescape=True), in_inbox)
        .order_by(MatterTitle.id.desc())
        .limit(SEARCH_LIMIT)
    ).all()
    readable = access.readable_tasks(session, actor, (task_id for _, task_id in found))
    return sorted({instance_id for instance_id, task_id in found if task_id in readable})


def _narrowed(session: Session, condition: ColumnElement[bool]) -> ColumnElement[bool]:
    """The open tasks meeting a selective condition, by id when they are few: read through the
    condition's own index (a case's, an instance's tasks), not by walking the unit's inbox in
    due order until enough of them turn up."""
    ids = _task_ids(session, condition)
    return TaskRecord.id.in_(ids) if ids is not None else condition


def _task_ids(session: Session, condition: ColumnElement[bool]) -> list[int] | None:
    """The ids of the open tasks meeting ``condition``; None when there are too many."""
    ids = session.scalars(
        select(TaskRecord.id)
        .where(condition, TaskRecord.status == TaskStatus.OPEN)
        .limit(SEARCH_LIMIT + 1)
    ).all()
    return list(ids) if len(ids) <= SEARCH_LIMIT else None


def _cursor(after: str) -> tuple[datetime | None, int] | None:
    """``d<iso due>~<id>`` (a dated task) or ``u~<id>`` (an undated one)."""
    kind, sep, last = after.rpartition("~")
    if not sep or not last.isdigit() or len(last) > 19:
        return None
    if kind == "u":
        return None, int(last)
    if not kind.startswith("d"):
        return None
    try:
        due = datetime.fromisoformat(kind[1:])
    except ValueError:
        return None
    return (due, int(last)) if due.tzinfo is not None else None


def _cursor_of(task: TaskRecord) -> str:
    return f"d{task.due_at.isoformat()}~{task.id}" if task.due_at else f"u~{task.id}"


def _after(due: datetime, last: int, descending: bool) -> ColumnElement[bool]:
    """After the last row shown; the first term bounds the index range, so a deep page starts
    where the last one stopped."""
    if descending:
        return and_(TaskRecord.due_at <= due, or_(TaskRecord.due_at < due, TaskRecord.id < last))
    return and_(TaskRecord.due_at >= due, or_(TaskRecord.due_at > due, TaskRecord.id > last))


def page(session: Session, actor: Actor, wanted: InboxFilter) -> InboxPage:
    claimant = aliased(User)
    base = select(
        TaskRecord, ProcessInstance.process_id, ProcessDefinition.name, ProcessInstance.summary,
        claimant.display_name, claimant.username,
    ).select_from(TaskRecord)  # fmt: skip
    base = (
        _filtered(session, actor, wanted, base)
        .join(ProcessInstance, ProcessInstance.id == TaskRecord.instance_id)
        .join(ProcessDefinition, ProcessDefinition.id == ProcessInstance.definition_id)
        .outerjoin(claimant, claimant.id == TaskRecord.claimed_by_id)
    )
    cursor = _cursor(wanted.after) if wanted.after else None
    want = wanted.limit + 1
    found: list = []
    descending = wanted.sort == "-due"
    if cursor is None or cursor[0] is not None:
        dated = base.where(TaskRecord.due_at.is_not(None))
        if cursor is not None and cursor[0] is not None:
            dated = dated.where(_after(cursor[0], cursor[1], descending))
        order = (
            (TaskRecord.due_at.desc(), TaskRecord.id.desc())
            if descending
            else (TaskRecord.due_at, TaskRecord.id)
        )
        found = list(session.execute(dated.order_by(*order).limit(want)))
    if len(found) < want:
        # the undated ones by id when they are few: PostgreSQL otherwise walked every task in
        # id order looking for a unit's undated ones (none, mostly: half a second at 400,000)
        undated = base.where(_narrowed(session, and_(_visible(actor), TaskRecord.due_at.is_(None))))
        if cursor is not None and cursor[0] is None:
            undated = undated.where(TaskRecord.id > cursor[1])
        found += session.execute(undated.order_by(TaskRecord.id).limit(want - len(found)))
    more = len(found) > wanted.limit
    rows = [
        InboxRow(
            task, process_id, name, summary or "",
            f"{shown or username}（{task.unit.name}）" if username else None,
        )
        for task, process_id, name, summary, shown, username in found[: wanted.limit]
    ]  # fmt: skip
    return InboxPage(rows, _cursor_of(rows[-1].task) if more and rows else "")


def counts(session: Session, actor: Actor, wanted: InboxFilter | None = None) -> InboxCounts:
    """How many open tasks each filter would show (within the search ``q``, if any)."""
    now = clock.now()
    base = _filtered(
        session, actor, InboxFilter(q=wanted.q if wanted else ""), select(TaskRecord.id)
    )

    def count(*conditions: ColumnElement[bool]) -> int:
        first = base.where(*conditions).limit(COUNT_LIMIT).subquery()
        return session.scalar(select(func.count()).select_from(first)) or 0

    soon = _due_limit(session, DUE_SOON)
    result = InboxCounts(
        total=count(),
        overdue=count(TaskRecord.due_at < now),
        due_soon=count(TaskRecord.due_at >= now, TaskRecord.due_at <= soon),
        mine=count(TaskRecord.claimed_by_id == actor.user_id),
    )
    names = _process_names(session)
    per_process = ((p, count(TaskRecord.process_id == p)) for p in names)
    result.processes = sorted(
        ((p, names[p], n) for p, n in per_process if n), key=lambda item: item[1]
    )
    return result


def _process_names(session: Session) -> dict[str, str]:
    """Each deployed process's name as its newest version states it."""
    newest = (
        select(ProcessDefinition.process_id, func.max(ProcessDefinition.version).label("v"))
        .group_by(ProcessDefinition.process_id)
        .subquery()
    )
    rows = session.execute(
        select(ProcessDefinition.process_id, ProcessDefinition.name).join(
            newest,
            and_(ProcessDefinition.process_id == newest.c.process_id,
                 ProcessDefinition.version == newest.c.v),
        )
    )  # fmt: skip
    return {p: n for p, n in rows}
