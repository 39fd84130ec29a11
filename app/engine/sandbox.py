"""The sandbox that runs diagram scripts and expressions (RestrictedPython).

No imports, no dunder attributes, no files or OS; the environment offers only the functions in
``SAFE_FUNCTIONS`` plus the deadline helpers bound to the current calendar.
"""

from __future__ import annotations

import ast
import contextvars
import datetime as _dt
import operator
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from RestrictedPython import compile_restricted_eval, compile_restricted_exec
from RestrictedPython.Eval import default_guarded_getitem, default_guarded_getiter
from RestrictedPython.Guards import (
    full_write_guard,
    guarded_iter_unpack_sequence,
    guarded_unpack_sequence,
    safe_builtins,
    safer_getattr,
)
from SpiffWorkflow.bpmn.script_engine import TaskDataEnvironment

from app.clocks import StartEvent
from app.workdays import Deadline, WorkCalendar


class SandboxError(ValueError):
    """A script or expression that the sandbox refuses to compile."""


_deadlines: contextvars.ContextVar[list[tuple[Deadline, StartEvent]] | None] = (
    contextvars.ContextVar("huajie_deadlines", default=None)
)
_starts: contextvars.ContextVar[StartSource | None] = contextvars.ContextVar(
    "huajie_starts", default=None
)


class StartSource(Protocol):
    """The events a deadline expression may count from, recorded by the product (see
    ``app.engine.timers``): the timed task reaching its unit, a task's latest submission."""

    def received(self) -> dict[str, Any]: ...

    def submitted(self, task_id: str) -> dict[str, Any]: ...


@contextmanager
def track_deadlines(
    starts: StartSource | None = None,
) -> Iterator[list[tuple[Deadline, StartEvent]]]:
    """Collect every deadline computed inside the block with the event it counts from; offer
    ``received()`` and ``submitted()`` from ``starts`` (a timer being evaluated)."""
    found: list[tuple[Deadline, StartEvent]] = []
    token = _deadlines.set(found)
    start_token = _starts.set(starts)
    try:
        yield found
    finally:
        _deadlines.reset(token)
        _starts.reset(start_token)


def _note(deadline: Deadline, start: StartEvent) -> str:
    seen = _deadlines.get()
    if seen is not None:
        seen.append((deadline, start))
    return deadline.due_at.isoformat()


def _start_source(name: str) -> StartSource:
    source = _starts.get()
    if source is None:
        raise SandboxError(f"{name}() 只能用于用户任务的期限表达式（定时边界事件）")
    return source


def deadline_functions(calendar: Callable[[], WorkCalendar]) -> dict[str, Any]:
    """The calendar functions of deadline expressions. The start may be a recorded event
    (``received()``, ``submitted("id")``, an event the services put into the process data) or
    a plain date from the process data."""

    def working_days(start: Any, n: int) -> str:
        event = StartEvent.from_value(start)
        return _note(calendar().add_working_days(event.on, n), event)

    def calendar_days(start: Any, n: int) -> str:
        event = StartEvent.from_value(start)
        return _note(calendar().add_calendar_days(event.on, n), event)

    def day_end(day: Any) -> str:
        event = StartEvent.from_value(day)
        return _note(calendar().day_end(event.on), event)

    def working_days_before(day: Any, n: int) -> str:
        event = StartEvent.from_value(day)
        return _note(calendar().working_days_before(event.on, n), event)

    def received() -> dict[str, Any]:
        return _start_source("received").received()

    def submitted(task_id: str) -> dict[str, Any]:
        if not isinstance(task_id, str):
            raise SandboxError(
                'submitted() 的参数须为任务 ID 字符串，例如 submitted("agency_reply")'
            )
        return _start_source("submitted").submitted(task_id)

    return {
        "working_days": working_days,
        "calendar_days": calendar_days,
        "day_end": day_end,
        "working_days_before": working_days_before,
        "received": received,
        "submitted": submitted,
    }


LOCAL_ZONE = ZoneInfo("Asia/Shanghai")


def time_types(now: Callable[[], _dt.datetime]) -> dict[str, Any]:
    """``datetime``, ``date`` and ``timedelta`` for scripts, whose ``now()`` and ``today()``
    read the product clock (Asia/Shanghai), never the system's."""

    class datetime(_dt.datetime):  # noqa: N801 - the name scripts know
        @classmethod
        def now(cls, tz: Any = None) -> _dt.datetime:  # type: ignore[override]
            return now().astimezone(tz or LOCAL_ZONE)

        @classmethod
        def today(cls) -> _dt.datetime:  # type: ignore[override]
            return now().astimezone(LOCAL_ZONE)

        @classmethod
        def utcnow(cls) -> _dt.datetime:  # type: ignore[override]
            return now().astimezone(_dt.UTC)

    class date(_dt.date):  # noqa: N801
        @classmethod
        def today(cls) -> _dt.date:  # type: ignore[override]
            return now().astimezone(LOCAL_ZONE).date()

    return {"datetime": datetime, "date": date, "timedelta": _dt.timedelta}


TIME_NAMES = frozenset({"datetime", "date", "timedelta"})


def iso_text(value: Any) -> Any:
    """A date, time or period a script leaves in the process data, as ISO 8601 text (the data
    is JSON: forms, documents and the API read it, and a stored state must restore as it was)."""
    if isinstance(value, _dt.datetime | _dt.date | _dt.time):
        return value.isoformat()
    if isinstance(value, _dt.timedelta):
        sign, value = ("-", -value) if value < _dt.timedelta(0) else ("", value)
        hours, rest = divmod(value.seconds, 3600)
        minutes, seconds = divmod(rest, 60)
        clock_part = "".join(
            f"{n}{unit}" for n, unit in ((hours, "H"), (minutes, "M"), (seconds, "S")) if n
        )
        if value.microseconds:
            clock_part = clock_part.removesuffix(f"{seconds}S") + (
                f"{seconds + value.microseconds / 1_000_000:g}S"
            )
        text = f"P{value.days}D" if value.days or not clock_part else "P"
        return sign + text + (f"T{clock_part}" if clock_part else "")
    if isinstance(value, list | tuple):
        return type(value)(iso_text(v) for v in value)
    if isinstance(value, dict):
        return {k: iso_text(v) for k, v in value.items()}
    return value


# augmented assignment (``n += 1``): RestrictedPython rewrites it to ``_inplacevar_(op, n, 1)``
_INPLACE: dict[str, Callable[[Any, Any], Any]] = {
    "+=": operator.iadd, "-=": operator.isub, "*=": operator.imul, "/=": operator.itruediv,
    "//=": operator.ifloordiv, "%=": operator.imod, "**=": operator.ipow,
    "&=": operator.iand, "|=": operator.ior, "^=": operator.ixor,
    "<<=": operator.ilshift, ">>=": operator.irshift, "@=": operator.imatmul,
}  # fmt: skip


def _inplacevar(op: str, target: Any, value: Any) -> Any:
    function = _INPLACE.get(op)
    if function is None:
        raise SandboxError(f"不支持的运算：{op}")
    return function(target, value)


SAFE_FUNCTIONS: dict[str, Any] = {
    "len": len, "min": min, "max": max, "sum": sum, "abs": abs, "round": round,
    "sorted": sorted, "any": any, "all": all, "str": str, "int": int, "float": float,
    "bool": bool, "list": list, "dict": dict, "set": set, "tuple": tuple,
    "enumerate": enumerate, "zip": zip, "range": range,
}  # fmt: skip


def _builtins() -> dict[str, Any]:
    allowed = dict(safe_builtins)
    allowed.update(SAFE_FUNCTIONS)
    allowed.pop("setattr", None)
    allowed.pop("delattr", None)
    return allowed


_GUARDS: dict[str, Any] = {
    "__builtins__": _builtins(),
    "_getattr_": safer_getattr,
    "_getitem_": default_guarded_getitem,
    "_getiter_": default_guarded_getiter,
    "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
    "_unpack_sequence_": guarded_unpack_sequence,
    "_write_": full_write_guard,
    "_inplacevar_": _inplacevar,
}


FILENAME = "<diagram script>"
TIME_LIMIT_S = 1.0
MAX_EXPONENT = 64


def _refuse_unsafe(source: str, mode: str) -> None:
    """What RestrictedPython allows but a diagram script never needs."""
    try:
        tree = ast.parse(source, mode=mode)
    except SyntaxError:
        return  # compile_restricted reports it
    for node in ast.walk(tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            raise SandboxError(f"第 {node.lineno} 行：流程脚本中不允许 import")
        if isinstance(node, ast.BinOp | ast.AugAssign) and isinstance(node.op, ast.Pow):
            exponent = node.right if isinstance(node, ast.BinOp) else node.value
            if not (
                isinstance(exponent, ast.Constant)
                and isinstance(exponent.value, int)
                and abs(exponent.value) <= MAX_EXPONENT
            ):
                raise SandboxError(
                    f"第 {node.lineno} 行：乘方的指数须为不超过 {MAX_EXPONENT} 的常数"
                )


class ScriptTimeout(SandboxError):
    pass


@contextmanager
def _time_limit(seconds: float = TIME_LIMIT_S) -> Iterator[None]:
    """Stop a diagram script that runs too long (an endless loop in a process definition).

    Counted in this thread's CPU time: a loaded machine or a wait for the database inside a
    trusted function (the calendar) never fails a quick expression."""
    deadline = time.thread_time() + seconds

    def local(frame: Any, event: str, arg: Any) -> Any:
        if time.thread_time() > deadline:
            raise ScriptTimeout(f"流程脚本运行超过 {seconds:g} 秒，已中止")
        return local

    def global_(frame: Any, event: str, arg: Any) -> Any:
        return local if frame.f_code.co_filename == FILENAME else None

    previous = sys.gettrace()
    sys.settrace(global_)
    try:
        yield
    finally:
        sys.settrace(previous)


def _compile(source: str, mode: str) -> Any:
    _refuse_unsafe(source, mode)
    compiler = compile_restricted_eval if mode == "eval" else compile_restricted_exec
    result = compiler(source, FILENAME)
    if result.errors:
        raise SandboxError("; ".join(result.errors))
    return result.code


def check_source(source: str, mode: str = "eval") -> list[str]:
    """Errors the sandbox would raise for this source (empty when it compiles)."""
    try:
        _compile(source, mode)
    except SandboxError as exc:
        return [str(exc)]
    except SyntaxError as exc:
        return [f"语法错误：{exc.msg}"]
    return []


class SandboxEnvironment(TaskDataEnvironment):
    """SpiffWorkflow script environment backed by RestrictedPython."""

    def __init__(self, functions: dict[str, Any]) -> None:
        super().__init__(dict(functions))
        self._cache: dict[tuple[str, str], Any] = {}

    def _code(self, source: str, mode: str) -> Any:
        key = (mode, source)
        code = self._cache.get(key)
        if code is None:
            code = self._cache[key] = _compile(source, mode)
        return code

    def evaluate(
        self, expression: str, context: dict[str, Any], external_context: dict | None = None
    ) -> Any:
        scope = dict(_GUARDS)
        scope.update(self.globals)
        scope.update(external_context or {})
        scope.update(context)
        # as the deploy check compiled it: a payload written over lines in the XML ends indented
        code = self._code(expression.strip(), "eval")
        with _time_limit():
            return eval(code, scope)  # noqa: S307 - restricted bytecode

    def execute(
        self, script: str, context: dict[str, Any], external_context: dict | None = None
    ) -> bool:
        self.check_for_overwrite(context, external_context or {})
        scope = dict(_GUARDS)
        scope.update(self.globals)
        scope.update(external_context or {})
        scope.update(context)
        code = self._code(script, "exec")
        with _time_limit():
            exec(code, scope)  # noqa: S102 - restricted bytecode
        for key, value in scope.items():
            if key.startswith("_") or key in _GUARDS or key in self.globals or callable(value):
                continue
            if external_context and key in external_context:
                continue
            context[key] = iso_text(value)
        return True


def offered_names() -> frozenset[str]:
    """Every name a script or expression may read besides the process data."""
    functions = deadline_functions(lambda: WorkCalendar())
    return frozenset(_builtins()) | set(SAFE_FUNCTIONS) | set(functions) | TIME_NAMES
