"""Migrating running instances to a newer version: dry run, apply, forms pinned per version."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from app import clock as product_clock
from app.errors import Forbidden, InvalidInput
from app.models import AuditEvent, ProcessInstance, TaskRecord, Timer
from app.services.court import messages
from app.services.design import instance_migration, versions
from app.services.execution import deadlines, processes
from tests import test_mechanisms_service as mechanisms
from tests.helpers import FORM_DATA, actor, complete, open_task, register, step
from tests.samples import PathData, all_paths, load
from tests.versioning import (
    MEDIATION,
    as_manual_task,
    deploy_variant,
    deploy_xml,
    forms_with,
    reply_in,
    shipped,
)

_numbers = iter(range(100, 200))


def _case(db) -> int:
    return register(db, court_case_no=f"（2026）苏0813行诉前{next(_numbers)}号")


def _waiting_at_reply(db) -> int:
    instance_id = _case(db)
    step(db, instance_id, "center", "register_materials")  # notice_date 2026-09-30
    return instance_id


def _due_day(db, instance_id: int) -> str:
    task = open_task(db, instance_id)
    return product_clock.to_local(task.due_at).date().isoformat()


def _version(db, instance_id: int) -> int:
    with db.read() as session:
        return session.get(ProcessInstance, instance_id).definition.version


def test_dry_run_shows_the_recomputed_deadline_and_changes_nothing(db):
    instance_id = _waiting_at_reply(db)
    assert _due_day(db, instance_id) == "2026-10-10"  # 3 working days (10-10 is a make-up day)
    assert deploy_variant(db, MEDIATION, reply_in(5)) == 2
    with db.read() as session:
        plans = instance_migration.dry_run(session, MEDIATION, 2)
    [plan] = plans
    assert plan.instance_id == instance_id and plan.can_migrate
    assert (plan.from_version, plan.to_version) == (1, 2)
    assert any("2026-10-10 → 2026-10-13" in line for line in plan.changes), plan.changes
    assert _version(db, instance_id) == 1
    assert _due_day(db, instance_id) == "2026-10-10"


def test_apply_moves_the_instance_and_recomputes_its_deadline(db):
    instance_id = _waiting_at_reply(db)
    deploy_variant(db, MEDIATION, reply_in(5))
    [result] = instance_migration.apply(db, actor(db, "owner"), MEDIATION, 2, [instance_id])
    assert result.migrated
    assert _version(db, instance_id) == 2
    assert _due_day(db, instance_id) == "2026-10-13"
    with db.read() as session:
        timer = session.scalar(
            select(Timer).where(Timer.instance_id == instance_id, Timer.status == "waiting")
        )
        assert product_clock.to_local(timer.due_at).date().isoformat() == "2026-10-13"
        event = session.scalar(select(AuditEvent).where(AuditEvent.action == "instance.migrate"))
        assert event.detail["from_version"] == 1 and event.detail["to_version"] == 2
        assert any("2026-10-13" in line for line in event.detail["changes"])
    # the migrated instance carries on under the new version
    step(db, instance_id, "gtzy", "agency_reply")
    assert open_task(db, instance_id).bpmn_id == "schedule_mediation"


def test_instance_on_a_task_whose_type_changed_is_left_untouched(db):
    stuck = _waiting_at_reply(db)
    step(db, stuck, "gtzy", "agency_reply")  # now at schedule_mediation
    early = _case(db)  # still at register_materials: schedule_mediation is only predicted
    deploy_variant(db, MEDIATION, as_manual_task("schedule_mediation"))
    with db.read() as session:
        plans = {p.instance_id: p for p in instance_migration.dry_run(session, MEDIATION, 2)}
    assert not plans[stuck].can_migrate
    assert plans[stuck].reasons == ["进行中的环节“确定调处时间地点并告知各方”在新版本中改变了类型"]
    assert plans[early].can_migrate
    with db.read() as session:
        state_before = session.get(ProcessInstance, stuck).state
    results = instance_migration.apply(db, actor(db, "owner"), MEDIATION, 2, [stuck, early])
    assert [(r.instance_id, r.migrated) for r in results] == [(stuck, False), (early, True)]
    assert results[0].reasons == plans[stuck].reasons
    with db.read() as session:
        assert session.get(ProcessInstance, stuck).state == state_before
    assert (_version(db, stuck), _version(db, early)) == (1, 2)


def test_only_a_process_owner_migrates_and_only_older_running_instances(db):
    instance_id = _waiting_at_reply(db)
    deploy_variant(db, MEDIATION, reply_in(5))
    with pytest.raises(Forbidden):
        instance_migration.apply(db, actor(db, "center"), MEDIATION, 2, [instance_id])
    instance_migration.apply(db, actor(db, "owner"), MEDIATION, 2, [instance_id])
    [again] = instance_migration.apply(db, actor(db, "owner"), MEDIATION, 2, [instance_id])
    assert not again.migrated and "不是在 v2 之前版本上运行中的" in again.reasons[0]


def _require_email(schema):
    schema["properties"]["liaison_email"] = {"type": "string", "title": "联络人邮箱"}
    schema["required"] = [*schema.get("required", []), "liaison_email"]


def test_forms_are_pinned_per_version_until_the_instance_migrates(db, tmp_path):
    old = _waiting_at_reply(db)
    folder = forms_with(tmp_path, f"{MEDIATION}/agency_reply.schema.json", _require_email)
    deploy_variant(db, MEDIATION, reply_in(5), forms_dir=folder)
    new = _waiting_at_reply(db)
    assert _version(db, new) == 2
    # the new instance's task asks for the new field
    with pytest.raises(InvalidInput) as refused:
        complete(db, "gtzy", open_task(db, new).id, FORM_DATA["agency_reply"])
    assert "liaison_email" in refused.value.errors
    # ... while the instance started on version 1 still fills in version 1's form
    complete(db, "gtzy", open_task(db, old).id, FORM_DATA["agency_reply"])
    assert open_task(db, old).bpmn_id == "schedule_mediation"


def test_after_migration_the_instance_uses_the_new_form(db, tmp_path):
    old = _waiting_at_reply(db)
    folder = forms_with(tmp_path, f"{MEDIATION}/agency_reply.schema.json", _require_email)
    deploy_variant(db, MEDIATION, reply_in(5), forms_dir=folder)
    with db.read() as session:
        [plan] = instance_migration.dry_run(session, MEDIATION, 2)
    assert any("表单新增字段：liaison_email（联络人邮箱）" in line for line in plan.changes)
    instance_migration.apply(db, actor(db, "owner"), MEDIATION, 2, [old])
    task = open_task(db, old)
    with pytest.raises(InvalidInput) as refused:
        complete(db, "gtzy", task.id, FORM_DATA["agency_reply"])
    assert "liaison_email" in refused.value.errors
    complete(db, "gtzy", task.id, {**FORM_DATA["agency_reply"], "liaison_email": "a@b.cn"})
    with db.read() as session:
        done = session.get(TaskRecord, task.id)
        assert done.data["liaison_email"] == "a@b.cn"


def _trial_in_self_correction(db) -> int:
    """A loss-warning letter starts mechanism 6, which calls self_correction (at ``initiate``)."""
    case = {"plaintiff": "李某某", "agency_unit": "SCJG", "subject": "不服行政处罚决定",
            "claims": "撤销处罚决定", "court": "洪泽区人民法院",
            "received_on": "2026-09-30"}  # fmt: skip
    court = actor(db, "court")
    with db.write() as session:
        for name, payload in (
            ("pre_filing_notice", case),
            ("loss_warning_letter", {"letter_no": "洪法预警〔2026〕3号", "reason": "事实不清"}),
        ):
            messages.receive.within(session, court, {
                "name": name, "case_no": "（2026）苏0813行初88号", "payload": payload,
                "idempotency_key": name,
            })  # fmt: skip
        return session.scalar(
            select(ProcessInstance.id).where(ProcessInstance.process_id == "in_trial_resolution")
        )


def test_a_new_callee_version_reaches_an_instance_waiting_inside_it(db):
    instance_id = _trial_in_self_correction(db)
    assert open_task(db, instance_id).name == "登记纠错事项"
    rename = lambda xml: xml.replace('name="登记纠错事项"', 'name="登记拟纠错事项"')  # noqa: E731
    assert deploy_variant(db, "self_correction", rename) == 2
    # the caller's file is unchanged, but the callee it bundles is new: a new version
    assert deploy_xml(db, shipped("in_trial_resolution")) == 2
    with db.read() as session:
        [change] = versions.diff(session, "in_trial_resolution", 1, 2).changes
    assert (change.change, change.element_id) == ("changed", "self_correction")
    with db.read() as session:
        [plan] = instance_migration.dry_run(session, "in_trial_resolution", 2)
    assert plan.can_migrate, plan.reasons
    assert "待办名称：登记纠错事项 → 登记拟纠错事项" in plan.changes
    [result] = instance_migration.apply(
        db, actor(db, "owner"), "in_trial_resolution", 2, [instance_id]
    )
    assert result.migrated
    assert open_task(db, instance_id).name == "登记拟纠错事项"


def test_an_open_task_moved_to_another_lane_goes_to_that_lanes_unit(db):
    instance_id = _case(db)  # at register_materials, in the center's lane
    move = lambda xml: xml.replace(  # noqa: E731
        "<bpmn:flowNodeRef>register_materials</bpmn:flowNodeRef>", ""
    ).replace(
        "<bpmn:flowNodeRef>agency_reply</bpmn:flowNodeRef>",
        "<bpmn:flowNodeRef>agency_reply</bpmn:flowNodeRef>"
        "<bpmn:flowNodeRef>register_materials</bpmn:flowNodeRef>",
    )
    deploy_variant(db, MEDIATION, move)
    with db.read() as session:
        [plan] = instance_migration.dry_run(session, MEDIATION, 2)
    assert plan.changes == ["待办“登记材料并发送交办通知书”的泳道：区调处中心 → 案涉行政机关"]
    [result] = instance_migration.apply(db, actor(db, "owner"), MEDIATION, 2, [instance_id])
    assert result.migrated
    task = open_task(db, instance_id)
    with db.read() as session:
        assert session.get(TaskRecord, task.id).unit.code == "GTZY"  # the case's agency


def test_an_open_task_moving_to_a_lane_nobody_owns_yet_cannot_migrate(db):
    with db.write() as session:
        instance_id = processes.start.within(
            session, actor(db, "bureau"), "enforcement_supervision"
        ).id
    assert (
        open_task(db, instance_id).bpmn_id == "supervise"
    )  # it names the agency that owns 案涉行政机关
    move = lambda xml: xml.replace(  # noqa: E731
        "<bpmn:flowNodeRef>supervise</bpmn:flowNodeRef>", ""
    ).replace(
        '<bpmn:lane id="Lane_agency" name="案涉行政机关">',
        '<bpmn:lane id="Lane_agency" name="案涉行政机关">\n'
        "<bpmn:flowNodeRef>supervise</bpmn:flowNodeRef>",
    )
    deploy_variant(db, "enforcement_supervision", move)
    with db.read() as session:
        [plan] = instance_migration.dry_run(session, "enforcement_supervision", 2)
    assert not plan.can_migrate
    assert plan.reasons == [
        "待办“执法监督检查”将移到泳道“案涉行政机关”：泳道“案涉行政机关”的承办单位未指定（lane_owners）"
    ]


def _renamed_tasks(xml: str) -> str:
    return re.sub(r'(<bpmn:userTask id="[^"]+" name="[^"]+)"', r'\1（新）"', xml)


FIRST_PATHS = list({process_id: path for process_id, path in all_paths()}.items())


@pytest.mark.parametrize(("process_id", "path_name"), FIRST_PATHS, ids=[p for p, _ in FIRST_PATHS])
def test_every_mechanism_migrates_midway_and_runs_to_the_end(db, settings, process_id, path_name):
    sample = load(process_id)
    data = PathData(sample["paths"][path_name])
    instance_id = mechanisms._start_with_sample(db, process_id, data, sample)
    halfway = sum(data.expected_counts().values()) // 2  # a one-task path migrates at its start
    for _ in range(halfway):
        [task, *_] = mechanisms._open_tasks(db, instance_id)
        who = mechanisms._worker(task, db)
        mechanisms.complete(db, settings, who, task.id, data.next(task.bpmn_id))
    waiting = mechanisms._open_tasks(db, instance_id)
    assert waiting, "the instance ended before it could be migrated"
    assert deploy_variant(db, process_id, _renamed_tasks) == 2
    [result] = instance_migration.apply(db, actor(db, "owner"), process_id, 2, [instance_id])
    assert result.migrated, result.reasons
    own = set(re.findall(r'<bpmn:userTask id="([^"]+)"', shipped(process_id)))
    for task in mechanisms._open_tasks(db, instance_id):  # (a callee's tasks keep theirs)
        assert task.name.endswith("（新）") == (task.bpmn_id in own), task.name
    for _ in range(30):
        tasks = mechanisms._open_tasks(db, instance_id)
        if not tasks:
            break
        who = mechanisms._worker(tasks[0], db)
        mechanisms.complete(db, settings, who, tasks[0].id, data.next(tasks[0].bpmn_id))
    with db.read() as session:
        assert session.get(ProcessInstance, instance_id).status == "completed"
    assert data.counts() == data.expected_counts()


def _suspend_reply(db, instance_id: int) -> None:
    with db.write() as session:
        deadlines.suspend.within(
            session, actor(db, "center"), open_task(db, instance_id).id, "等待鉴定"
        )


def test_a_suspended_deadline_whose_rule_changed_blocks_migration(db):
    instance_id = _waiting_at_reply(db)
    _suspend_reply(db, instance_id)
    deploy_variant(db, MEDIATION, reply_in(5))
    with db.read() as session:
        [plan] = instance_migration.dry_run(session, MEDIATION, 2)
    assert plan.reasons == [
        "期限“答复期限（3个工作日）”已中止，而新版本改变了它的规则：请先恢复期限"
    ]


def test_a_suspended_deadline_whose_rule_is_unchanged_stays_suspended(db):
    instance_id = _waiting_at_reply(db)
    _suspend_reply(db, instance_id)
    deploy_variant(db, MEDIATION, _renamed_tasks)
    [result] = instance_migration.apply(db, actor(db, "owner"), MEDIATION, 2, [instance_id])
    assert result.migrated
    task = open_task(db, instance_id)
    assert task.name.endswith("（新）") and task.due_at is None and "中止" in task.due_rule
    with db.read() as session:
        timer = session.scalar(select(Timer).where(Timer.instance_id == instance_id))
        assert timer.status == "suspended"
