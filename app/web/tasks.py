from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import login_required
from werkzeug.wrappers import Response

from app import clock
from app.errors import Conflict, Forbidden, InvalidInput
from app.forms import fields_for
from app.models import ProcessInstance
from app.models.states import TaskStatus
from app.services.execution import assignment, completion, deadlines, instances, task_forms
from app.services.identity import access, org, units
from app.services.identity.permissions import Action, may
from app.services.notify import ladder
from app.services.records import attachments
from app.services.reporting import inbox as inbox_tools
from app.services.reporting import queries, record_words, task_context
from app.web import task_work
from app.web.context import actor, db, settings
from app.web.form_posts import parse_submission
from app.web.guard import record_ids, shows_field_errors

bp = Blueprint("tasks", __name__)


def _flash_error(exc: InvalidInput) -> None:
    details = "；".join(m for messages in exc.errors.values() for m in messages)
    flash(f"{exc.message}：{details}" if details else exc.message, "error")


@bp.get("/")
@login_required
def inbox() -> str:
    me = actor()
    try:
        wanted = inbox_tools.parse_filter(request.args)
    except InvalidInput as exc:
        _flash_error(exc)
        wanted = inbox_tools.InboxFilter()
    with db().read() as session:
        found = inbox_tools.page(session, me, wanted)
        counts = inbox_tools.counts(session, me, wanted)
        left = queries.working_days_left_each(session, [row.task.due_at for row in found.rows])
        rows = list(zip(found.rows, left, strict=True))
        reminders = queries.reminders(session, me)
    may_bulk = may(me.role, Action.REASSIGN)
    with db().read() as session:
        people = assignment.colleagues(session, me) if may_bulk else []
    return render_template(
        "inbox.html", rows=rows, reminders=reminders, now=clock.now(),
        is_overdue=queries.is_overdue, may_bulk=may_bulk, people=people, wanted=wanted,
        counts=counts, next_after=found.next_after, due_soon_days=inbox_tools.DUE_SOON,
    )  # fmt: skip


@bp.post("/tasks/bulk")
@login_required
def bulk() -> Response:
    """Reassign or remind the ticked tasks; one line of result per task."""
    ids = record_ids(request.form.getlist("task_id"), "task_id")
    if not ids:
        flash("请先勾选任务", "error")
        return redirect(url_for("tasks.inbox"))
    try:
        results = assignment.bulk(
            db(), actor(), request.form.get("action", ""), ids,
            request.form.get("username", ""), request.form.get("reason", ""),
        )  # fmt: skip
    except InvalidInput as exc:
        flash(exc.message, "error")
        return redirect(url_for("tasks.inbox"))
    for r in results:
        if r["ok"]:
            flash(f"任务 #{r['task_id']}：已完成")
        else:
            flash(f"任务 #{r['task_id']}：{r['error']}", "error")
    return redirect(url_for("tasks.inbox"))


def _uploads(schema: dict) -> dict[str, list[attachments.Upload]]:
    found = {}
    for name in task_forms.attachment_fields(schema):
        files = [f for f in request.files.getlist(name) if f.filename]
        if files:
            found[name] = [attachments.Upload(f.filename or "", f.read()) for f in files]
    return found


def _form_context(session, task, data, errors):
    instance = session.get(ProcessInstance, task.instance_id)
    schema = instances.task_schema(session, task)
    ui_name = (task.form or "").replace(".schema.json", ".uischema.json")
    uischema = instance.definition.forms.get(ui_name)
    fields = fields_for(schema, uischema, data, clock.local_now().date())
    return schema, fields, instance


@bp.route("/tasks/<int:task_id>", methods=["GET", "POST"])
@shows_field_errors
@login_required
def task_page(task_id: int) -> ResponseReturnValue:
    me = actor()
    errors: dict[str, list[str]] = {}
    data: dict = {}
    conflict = ""  # another person completed it meanwhile: their name, and this typing kept
    conflict_status = 409
    if request.method == "POST":
        try:
            with db().read() as session:
                task = instances.open_task_for(session, me, task_id)
                schema, _, _ = _form_context(session, task, None, None)
            data = parse_submission(schema, request.form)
            completion.submit(
                db(), me, task_id, data, _uploads(schema), settings().data_dir / "attachments"
            )
        except InvalidInput as exc:
            errors = exc.errors
        except (Conflict, Forbidden) as exc:  # done or claimed meanwhile: keep what was typed
            conflict, conflict_status = exc.message, exc.status
        else:
            flash(f"“{task.name}”已提交")
            return redirect(url_for("instances.instance_page", instance_id=task.instance_id))
    with db().read() as session:
        task = instances.open_task_for(session, me, task_id)
        view = queries.instance_view(session, me, task.instance_id)
        can_work = instances.can_work_on(me, task) and task.status == TaskStatus.OPEN
        readable = task.id in view.readable
        prefill = access.visible_prefill(task.prefill, view.tasks, view.readable)
        work = task_work.page_context(session, me, task, can_work)
        draft = work["draft"].data if work["draft"] and work["may_fill"] else None
        values = (
            data or (task.data if readable and not conflict else None) or draft
            or (prefill if can_work else None)
        )  # fmt: skip
        schema, fields, instance = _form_context(session, task, values, errors)
        flag = None
        if instance.process_id == "legality_review" and task.unit and task.unit.kind == "agency":
            flag = units.adviser_flag(session, task.unit)
        receipt = (
            deadlines.receipt_start(session, task)
            if deadlines.may_record_service(me, task)
            else None
        )
        unit_people = assignment.people_for(session, task)
        days_left = queries.working_days_left(session, task.due_at)
        context = task_context.build(session, task, view)
    return render_template(
        "task.html",
        task=task,
        schema=schema,
        fields=fields,
        errors=errors,
        view=view,
        days_left=days_left,
        overdue=task.status == TaskStatus.OPEN and queries.is_overdue(task.due_at),
        can_work=can_work,
        readable=readable,
        adviser_flag=flag,
        may_reassign=task.status == TaskStatus.OPEN
        and may(me.role, Action.REASSIGN)
        and (me.unit_id == task.unit_id or me.role == "admin"),
        unit_people=unit_people,
        may_manage_deadline=may(me.role, Action.MANAGE_DEADLINE)
        and task.status == TaskStatus.OPEN
        and bool(task.due_at or task.due_rule),
        suspended=task.status == TaskStatus.OPEN and task.deadline_suspended,
        receipt=receipt,
        conflict=conflict,
        context=context,
        **work,
    ), (conflict_status if conflict else 400 if errors else 200)


@bp.post("/tasks/<int:task_id>/deadline")
@login_required
def manage_deadline(task_id: int) -> Response:
    """中止 / 恢复 / 延长 a task's deadline (center and bureau), always with a reason."""
    me = actor()
    action = request.form.get("action", "")
    reason = request.form.get("reason", "")
    try:
        if action == "suspend":
            deadlines.suspend(db(), me, task_id, reason)
        elif action == "resume":
            deadlines.resume(db(), me, task_id, reason)
        elif action == "extend":
            raw = request.form.get("days", "")
            days: object = int(raw) if raw.strip().isdigit() else raw
            deadlines.extend(db(), me, task_id, days, reason)
        else:
            raise InvalidInput("未知的操作")
    except InvalidInput as exc:
        _flash_error(exc)
    else:
        flash({"suspend": "期限已中止", "resume": "期限已恢复", "extend": "期限已延长"}[action])
    return redirect(url_for("tasks.task_page", task_id=task_id))


@bp.post("/tasks/<int:task_id>/service")
@login_required
def record_service(task_id: int) -> Response:
    """登记送达: the day what the task answers was served on paper, with its 送达回证."""
    files = [
        attachments.Upload(f.filename or "", f.read())
        for f in request.files.getlist("files")
        if f.filename
    ]
    try:
        deadlines.record_service(
            db(), actor(), task_id, request.form.get("served_on", ""),
            request.form.get("evidence", ""), files, storage=settings().data_dir / "attachments",
        )  # fmt: skip
    except InvalidInput as exc:
        _flash_error(exc)
    else:
        flash("送达情况已登记，期限已按送达日期重新计算")
    return redirect(url_for("tasks.task_page", task_id=task_id))


@bp.get("/notifications")
@login_required
def notifications() -> str:
    me = actor()
    with db().read() as session:
        rows = record_words.notification_lines(session, ladder.for_user(session, me.user_id or 0))
    return render_template("notifications.html", rows=rows)


@bp.post("/notifications/read")
@login_required
def notifications_read() -> Response:
    ladder.mark_read(db(), actor().user_id or 0)
    return redirect(url_for("tasks.notifications"))


@bp.post("/tasks/<int:task_id>/reassign")
@login_required
def reassign(task_id: int) -> Response:
    try:
        name = assignment.reassign(
            db(), actor(), task_id, request.form.get("username", ""),
            request.form.get("reason", ""),
        ).assignee.label  # fmt: skip
    except InvalidInput as exc:
        _flash_error(exc)
    else:
        flash(f"已改派给 {name}")
    return redirect(url_for("tasks.task_page", task_id=task_id))


@bp.route("/substitutes", methods=["GET", "POST"])
@login_required
def substitutes() -> ResponseReturnValue:
    """Name a substitute (代理人) for a date range."""
    me = actor()
    if request.method == "POST":
        try:
            assignment.name_substitute(
                db(), me, request.form.get("substitute", ""),
                request.form.get("starts_on", ""), request.form.get("ends_on", ""),
                request.form.get("reason", ""),
            )  # fmt: skip
        except InvalidInput as exc:
            _flash_error(exc)
        else:
            org.forget_token_actors()  # the substitute's API token acts for me at once
            flash("已指定代理人")
        return redirect(url_for("tasks.substitutes"))
    with db().read() as session:
        mine = assignment.substitutions_of(session, me.user_id or 0)
        colleagues = assignment.colleagues(session, me)
    return render_template("substitutes.html", mine=mine, colleagues=colleagues, me=me)
