"""路由表 (the routing table, ``processes/routing.toml``): which processes an event starts.

The table says, in words a process owner reads, which process each court message or case event
starts, on which conditions, for which unit and lanes, and which facts of the message or case
become its start data; and, per process, the start data it receives (what its diagram's
deadlines may read) and whether it is bound to a case. ``load`` reads and checks it, reporting
every problem at once in Chinese with the entry it is in; the app and ``huajie init`` put it in
use at startup (``use``). The words it may use are in ``routing_terms``.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.config import ROOT
from app.errors import InvalidInput
from app.services.design.routing_checks import Problems, check_route, known_keys, names_list
from app.services.design.routing_terms import FIELD_TYPES, TRIGGERS, Fact

FILE_NAME = "routing.toml"
SHIPPED = ROOT / "processes"
# every start puts in the lane owners (``lanes`` of the route, or the starter's unit)
ALWAYS_STARTED_WITH = frozenset({"lane_owners"})
PROCESS_FLAGS = {
    "case_bound": "只为案件启动（由系统或案件页面），不出现在“发起流程”中",
    "resolution": "属于前期化解（判后释法明理的条件“经前期化解未能解决”据此判断）",
    "undone_when_loss_reversed": "败诉被更正或以非败诉结案时，撤销仍在运行的该流程",
}


class RoutingTableError(InvalidInput):
    """The table cannot be used; ``errors`` maps each entry to its problems."""

    def report(self) -> str:
        lines = [self.message]
        for entry, problems in self.errors.items():
            lines += [f"  {entry}：{p}" if entry else f"  {p}" for p in problems]
        return "\n".join(lines)


@dataclass(frozen=True)
class StartField:
    name: str
    type: str
    label: str


@dataclass(frozen=True)
class ProcessEntry:
    process_id: str
    start_data: Mapping[str, StartField]
    case_bound: bool = False
    resolution: bool = False
    undone_when_loss_reversed: bool = False


@dataclass(frozen=True)
class Route:
    number: int  # its place in the file, from 1
    on: str
    start: str
    unit: str
    lanes: Mapping[str, str]  # lane -> unit reference
    data: Mapping[str, str]  # start-data field -> fact
    fixed: Mapping[str, Any]  # start-data field -> value
    when: tuple[str, ...] = ()
    unless: tuple[str, ...] = ()
    each: str = ""

    @property
    def entry(self) -> str:
        return route_entry(self.number, self.on, self.start)


def route_entry(number: int, on: Any, start: Any) -> str:
    return f"第 {number} 条路由（{on or '?'} → {start or '?'}）"


@dataclass(frozen=True)
class Table:
    path: Path
    processes: Mapping[str, ProcessEntry]
    routes: tuple[Route, ...]

    def routes_on(self, trigger: str) -> list[Route]:
        return [r for r in self.routes if r.on == trigger]

    def start_fields(self, process_id: str) -> frozenset[str]:
        """The names a process's data holds when it starts (its deadlines may read them)."""
        entry = self.processes.get(process_id)
        return ALWAYS_STARTED_WITH | frozenset(entry.start_data if entry else ())

    def case_processes(self) -> frozenset[str]:
        return frozenset(p for p, e in self.processes.items() if e.case_bound)

    def resolution_processes(self) -> frozenset[str]:
        return frozenset(p for p, e in self.processes.items() if e.resolution)

    def loss_processes(self) -> frozenset[str]:
        return frozenset(p for p, e in self.processes.items() if e.undone_when_loss_reversed)

    def hand_start(self, process_id: str) -> Route | None:
        """The route by which a person starts this process from the case page, if any (who may:
        the permission table's ``START_FOR_CASE``)."""
        return next((r for r in self.routes_on("case_page") if r.start == process_id), None)


# -- reading and checking -----------------------------------------------------------------------
SECTIONS = {
    "fields": "启动数据字段：名称、类型、中文名",
    "processes": "流程：启动数据及是否只为案件启动",
    "data_sets": "可在路由中引用的一组启动数据来源",
    "routes": "路由：事件 → 流程",
}


def load(processes_dir: Path) -> Table:
    """Read and check ``processes_dir/routing.toml``; every problem at once, none silently."""
    path = processes_dir / FILE_NAME
    raw = _read(path)
    problems = Problems()
    known_keys(problems, "", raw, SECTIONS, "部分")
    fields = _fields(problems, raw.get("fields", {}))
    processes = _processes(problems, raw.get("processes", {}), fields, processes_dir)
    data_sets = _data_sets(problems, raw.get("data_sets", {}))
    routes = _routes(problems, raw.get("routes", []), processes, data_sets)
    if problems:
        raise RoutingTableError(f"路由表 {path} 有误（共 {problems.count} 处）", problems.by_entry)
    return Table(path, processes, routes)


def _read(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        problem = "找不到该文件"
    except (OSError, UnicodeDecodeError) as exc:
        problem = f"无法读取（须为 UTF-8 文本）：{exc}"
    except tomllib.TOMLDecodeError as exc:
        problem = _syntax_problem(str(exc))
    raise RoutingTableError(f"路由表 {path} 有误（共 1 处）", {"": [problem]})


def _syntax_problem(message: str) -> str:
    where = re.search(r"\(at line (\d+), column (\d+)\)", message)
    what = re.sub(r"\s*\(at .*\)$", "", message)
    place = f"第 {where[1]} 行第 {where[2]} 列" if where else "文件末尾"
    return f"{place}不符合 TOML 格式（{what}）"


def _fields(problems: Problems, raw: Any) -> dict[str, Fact]:
    if not problems.is_table("[fields]", raw):
        return {}
    found: dict[str, Fact] = {}
    for name, spec in raw.items():
        entry = f"[fields.{name}]"
        if not problems.is_table(entry, spec):
            continue
        known_keys(problems, entry, spec, {"type": "类型", "label": "中文名"}, "键")
        kind, label = spec.get("type"), spec.get("label")
        if not isinstance(kind, str) or kind not in FIELD_TYPES:
            problems.add(entry, f"type 须为以下之一：{names_list(FIELD_TYPES)}")
        if not isinstance(label, str) or not label.strip():
            problems.add(entry, "缺少中文名（label）")
        if (
            isinstance(kind, str)
            and kind in FIELD_TYPES
            and isinstance(label, str)
            and label.strip()
        ):
            found[name] = Fact(kind, label.strip())
    return found


def _processes(
    problems: Problems, raw: Any, fields: Mapping[str, Fact], processes_dir: Path
) -> dict[str, ProcessEntry]:
    if not problems.is_table("[processes]", raw):
        return {}
    found: dict[str, ProcessEntry] = {}
    for process_id, spec in raw.items():
        entry = f"[processes.{process_id}]"
        if not problems.is_table(entry, spec):
            continue
        known_keys(problems, entry, spec, {**PROCESS_FLAGS, "start_data": "启动数据"}, "键")
        if not (processes_dir / f"{process_id}.bpmn").is_file():
            problems.add(entry, f"流程目录中没有 {process_id}.bpmn")
        for flag in PROCESS_FLAGS:
            if not isinstance(spec.get(flag, False), bool):
                problems.add(entry, f"{flag} 须为 true 或 false")
        names = spec.get("start_data", [])
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            problems.add(entry, "start_data 须为字段名列表")
            names = []
        for name in names:
            if name in ALWAYS_STARTED_WITH:
                problems.add(entry, f"{name} 由系统在每次启动时放入，无需声明")
            elif name not in fields:
                problems.add(entry, f"启动数据 {name} 未在 [fields] 中定义")
        start_data = {
            n: StartField(n, fields[n].type, fields[n].label) for n in names if n in fields
        }
        flags = {f: spec.get(f) is True for f in PROCESS_FLAGS}
        found[process_id] = ProcessEntry(process_id, start_data, **flags)
    return found


def _data_sets(problems: Problems, raw: Any) -> dict[str, dict[str, str]]:
    if not problems.is_table("[data_sets]", raw):
        return {}
    found: dict[str, dict[str, str]] = {}
    for name, spec in raw.items():
        entry = f"[data_sets.{name}]"
        if problems.is_table(entry, spec):
            wrong = [k for k, v in spec.items() if not isinstance(v, str)]
            for key in wrong:
                problems.add(entry, f'{key} 的来源须为文本（如 "case.case_no"）')
            found[name] = {k: v for k, v in spec.items() if isinstance(v, str)}
    return found


def _routes(
    problems: Problems,
    raw: Any,
    processes: Mapping[str, ProcessEntry],
    data_sets: Mapping[str, Mapping[str, str]],
) -> tuple[Route, ...]:
    if not isinstance(raw, list) or not all(isinstance(r, dict) for r in raw):
        problems.add("[[routes]]", "routes 须写作一组 [[routes]] 表")
        return ()
    routes = []
    for number, spec in enumerate(raw, start=1):
        entry = route_entry(number, spec.get("on"), spec.get("start"))
        route = check_route(problems, entry, number, spec, processes, data_sets)
        if route is not None:
            routes.append(route)
    for on, trigger in TRIGGERS.items():
        mine = [r for r in routes if r.on == on]
        if trigger.exactly_one and (len(mine) != 1 or mine[0].when or mine[0].unless):
            problems.add("[[routes]]", f"事件 {on}（{trigger.label}）须有且只有一条不带条件的路由")
        if trigger.by_hand:
            starts = [r.start for r in mine]
            for twice in sorted({s for s in starts if starts.count(s) > 1}):
                problems.add("[[routes]]", f"事件 {on} 对流程 {twice} 只能有一条路由")
    return tuple(routes)


# -- the table in use ---------------------------------------------------------------------------
_in_use: Table | None = None


def use(processes_dir: Path) -> Table:
    """Load and check the table beside the diagrams and put it in use in this process (the app
    at startup, ``huajie init`` before deploying); raises RoutingTableError and keeps the
    table in use when it is wrong."""
    global _in_use
    _in_use = load(processes_dir)
    return _in_use


def current() -> Table:
    """The table in use; the shipped one until ``use`` puts another in use."""
    return _in_use if _in_use is not None else use(SHIPPED)
