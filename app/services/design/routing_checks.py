"""Checking one route of the routing table against the words it may use (``routing_terms``)
and the start data its process declares: every problem, in Chinese, under the route's name."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import TYPE_CHECKING, Any

from app.services.design.routing_terms import (
    DISTRICT_UNITS,
    FIELD_TYPES,
    OPTIONAL_UNITS,
    TRIGGERS,
    Fact,
    Trigger,
)
from app.services.execution.lanes import LANE_UNIT_KIND

if TYPE_CHECKING:
    from app.services.design.routing import ProcessEntry, Route

ROUTE_KEYS = {
    "on": "事件",
    "start": "启动的流程",
    "when": "须都成立的条件",
    "unless": "须都不成立的条件",
    "each": "每个……各启动一个",
    "unit": "流程实例所属单位",
    "lanes": "泳道 → 单位",
    "include": "引用的 [data_sets]",
    "data": "启动数据字段 → 来源",
    "fixed": "启动数据字段 → 固定值",
}


class Problems:
    """Problems by entry, in the order found."""

    def __init__(self) -> None:
        self.by_entry: dict[str, list[str]] = {}

    def add(self, entry: str, problem: str) -> None:
        self.by_entry.setdefault(entry, []).append(problem)

    def is_table(self, entry: str, value: Any) -> bool:
        if isinstance(value, dict):
            return True
        self.add(entry, "须为表（[…] 或 { … }）")
        return False

    @property
    def count(self) -> int:
        return sum(len(p) for p in self.by_entry.values())

    def __bool__(self) -> bool:
        return bool(self.by_entry)


def names_list(names: Iterable[str]) -> str:
    return "、".join(names)


def known_keys(
    problems: Problems, entry: str, spec: Mapping[str, Any], known: Mapping[str, str], what: str
) -> None:
    for key in spec:
        if key not in known:
            problems.add(entry, f"未知的{what} {key}（可用：{names_list(known)}）")


def check_route(
    problems: Problems,
    entry: str,
    number: int,
    spec: dict[str, Any],
    processes: Mapping[str, ProcessEntry],
    data_sets: Mapping[str, Mapping[str, str]],
) -> Route | None:
    from app.services.design.routing import Route

    before = problems.count
    known_keys(problems, entry, spec, ROUTE_KEYS, "键")
    on, start = spec.get("on"), spec.get("start")
    trigger = TRIGGERS.get(on) if isinstance(on, str) else None
    if trigger is None:
        problems.add(entry, f"on 须为已知的事件：{names_list(TRIGGERS)}")
    process = processes.get(start) if isinstance(start, str) else None
    if process is None:
        problems.add(entry, f"start：流程 {start} 未在 [processes] 中声明")
    elif not process.case_bound:
        problems.add(
            entry,
            f"[processes.{start}] 须设 case_bound = true："
            "由事件启动的流程不应出现在“发起流程”中（那样启动时没有它的数据）",
        )
    when = _names(problems, entry, spec, "when")
    unless = _names(problems, entry, spec, "unless")
    each = spec.get("each", "")
    if trigger is None:
        return None
    for condition in (*when, *unless):
        if condition not in trigger.conditions:
            available = names_list(trigger.conditions) or "无"
            problems.add(entry, f"未知的条件 {condition}（事件 {on} 可用：{available}）")
    if not isinstance(each, str) or (each and each not in trigger.each):
        available = names_list(trigger.each) or "无"
        problems.add(entry, f"each 须为事件 {on} 可用的：{available}")
    facts, units, optional = _offered(trigger, each if isinstance(each, str) else "")
    _check_units(problems, entry, spec, units, optional)
    data = _data(problems, entry, spec, data_sets)
    fixed = spec.get("fixed", {})
    if problems.is_table(f"{entry} fixed", fixed) and process is not None:
        _check_fixed(problems, entry, fixed, process, set(data))
    if process is not None:
        _check_data(problems, entry, data, facts, process)
    if problems.count > before:
        return None
    return Route(
        number=number, on=str(on), start=str(start), unit=spec["unit"],
        lanes=dict(spec.get("lanes", {})), data=data, fixed=dict(fixed), when=when,
        unless=unless, each=each,
    )  # fmt: skip


def _names(problems: Problems, entry: str, spec: Mapping[str, Any], key: str) -> tuple[str, ...]:
    value = spec.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        problems.add(entry, f"{key} 须为条件名列表")
        return ()
    return tuple(value)


def _offered(trigger: Trigger, each: str) -> tuple[dict[str, Fact], set[str], set[str]]:
    """The facts, unit references and optional ones a route on this trigger may name."""
    facts = dict(trigger.facts)
    units = set(DISTRICT_UNITS) | set(trigger.units)
    optional = set(OPTIONAL_UNITS)
    if each in trigger.each:
        item = trigger.each[each]
        facts |= item.facts
        units |= set(item.units)
        optional |= item.optional_units
    return facts, units, optional


def _check_units(
    problems: Problems, entry: str, spec: Mapping[str, Any], units: set[str], optional: set[str]
) -> None:
    unit = spec.get("unit")
    if not isinstance(unit, str) or unit not in units or unit in optional:
        problems.add(entry, f"unit 须为：{names_list(sorted(units - optional))}")
    lanes = spec.get("lanes", {})
    if not problems.is_table(f"{entry} lanes", lanes):
        return
    for lane, ref in lanes.items():
        if lane not in LANE_UNIT_KIND:
            problems.add(entry, f"未知的泳道“{lane}”（可用：{names_list(LANE_UNIT_KIND)}）")
        if not isinstance(ref, str) or ref not in units:
            problems.add(entry, f"泳道“{lane}”的单位须为：{names_list(sorted(units))}")


def _data(
    problems: Problems, entry: str, spec: Mapping[str, Any], data_sets: Mapping[str, Any]
) -> dict[str, str]:
    """``include``d sets, then ``data`` (which may override a field a set gives)."""
    merged: dict[str, str] = {}
    include = spec.get("include", [])
    if not isinstance(include, list):
        problems.add(entry, "include 须为 [data_sets] 名称列表")
        include = []
    for name in include:
        if isinstance(name, str) and name in data_sets:
            merged |= data_sets[name]
        else:
            problems.add(entry, f"include：未定义的 [data_sets.{name}]")
    data = spec.get("data", {})
    if problems.is_table(f"{entry} data", data):
        for field, fact in data.items():
            if isinstance(fact, str):
                merged[field] = fact
            else:
                problems.add(entry, f'data.{field} 的来源须为文本（如 "case.case_no"）')
    return merged


def _check_data(
    problems: Problems,
    entry: str,
    data: Mapping[str, str],
    facts: Mapping[str, Fact],
    process: ProcessEntry,
) -> None:
    for field, source in data.items():
        declared = process.start_data.get(field)
        if declared is None:
            problems.add(
                entry,
                f"启动数据 {field} 未在 [processes.{process.process_id}] 的 start_data 中声明",
            )
        fact = facts.get(source)
        if fact is None:
            available = names_list(facts)
            problems.add(entry, f"{field} 的来源 {source} 不是该事件提供的（可用：{available}）")
        elif declared is not None and fact.type != declared.type:
            problems.add(
                entry,
                f"{field} 声明为{FIELD_TYPES[declared.type]}，来源 {source} 却是"
                f"{FIELD_TYPES[fact.type]}",
            )


def _check_fixed(
    problems: Problems,
    entry: str,
    fixed: Mapping[str, Any],
    process: ProcessEntry,
    from_facts: set[str],
) -> None:
    for field, value in fixed.items():
        declared = process.start_data.get(field)
        if declared is None:
            problems.add(
                entry,
                f"启动数据 {field} 未在 [processes.{process.process_id}] 的 start_data 中声明",
            )
        elif not _fits(declared.type, value):
            problems.add(entry, f"fixed.{field} 须为{FIELD_TYPES[declared.type]}")
        if field in from_facts:
            problems.add(entry, f"{field} 既在 data 中又在 fixed 中")


def _fits(kind: str, value: Any) -> bool:
    if kind == "text":
        return isinstance(value, str)
    if kind == "boolean":
        return isinstance(value, bool)
    if kind == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    if kind == "date":
        try:
            date.fromisoformat(value)
        except (TypeError, ValueError):
            return False
        return True
    return False  # events and lists come from the event, never a fixed value
