"""Diagram scripts and expressions run in a sandbox."""

from __future__ import annotations

import pytest

from app.engine.sandbox import SandboxEnvironment, SandboxError, check_source, deadline_functions
from app.workdays import WorkCalendar

ESCAPES = [
    "__import__('os').system('id')",
    "().__class__.__bases__[0].__subclasses__()",
    "open('/etc/passwd').read()",
    "(lambda: 0).__globals__",
    "getattr(str, '__dict__')",
    "eval('1')",
    "exec('x = 1')",
    "compile('1', 'x', 'eval')",
    "globals()",
]


@pytest.fixture
def env() -> SandboxEnvironment:
    calendar = WorkCalendar()
    return SandboxEnvironment(deadline_functions(lambda: calendar))


@pytest.mark.parametrize("source", ESCAPES)
def test_known_escapes_are_refused(env, source):
    with pytest.raises((SandboxError, NameError, AttributeError, TypeError, SyntaxError)):
        env.evaluate(source, {})


def test_imports_are_refused_in_scripts(env):
    assert check_source("import os", "exec")
    with pytest.raises(SandboxError):
        env.execute("import os\nx = os.getcwd()", {})


def test_deadline_helpers_and_task_data_are_available(env):
    due = env.evaluate("working_days(notice_date, 3)", {"notice_date": "2026-09-30"})
    assert due.startswith("2026-10-10T23:59:59")
    assert env.evaluate("calendar_days('2026-09-28', 5)", {}).startswith("2026-10-08")
    assert env.evaluate("outcome == 'agreement'", {"outcome": "agreement"}) is True


def test_scripts_write_task_data_but_not_helpers(env):
    context = {"a": 2}
    env.execute("b = a * 3\nnames = sorted(['乙', '甲'])", context)
    assert context["b"] == 6
    assert context["names"] == ["乙", "甲"]
    assert "working_days" not in context


def test_endless_loop_is_stopped_by_the_time_limit(env):
    from app.engine.sandbox import ScriptTimeout

    with pytest.raises(ScriptTimeout):
        env.execute("n = 0\nwhile True:\n    n = n + 1", {})


def test_huge_exponent_is_refused(env):
    with pytest.raises(SandboxError):
        env.evaluate("10 ** 10 ** 10", {})
    assert env.evaluate("2 ** 10", {}) == 1024


def test_private_attributes_and_format_tricks_are_refused(env):
    for source in ("'{0.__class__}'.format(1)", "task._internal", "().__reduce_ex__(2)"):
        with pytest.raises((SandboxError, AttributeError, NameError, NotImplementedError)):
            env.evaluate(source, {"task": object()})


def _with_time() -> SandboxEnvironment:
    from datetime import datetime

    from app.engine.sandbox import time_types

    calendar = WorkCalendar()
    functions = deadline_functions(lambda: calendar)
    functions.update(time_types(lambda: datetime.fromisoformat("2026-09-30T02:00:00+00:00")))
    return SandboxEnvironment(functions)


def test_augmented_assignment_runs_in_scripts(env):
    context = {"n": 1, "names": ["甲"]}
    env.execute("n += 2\nn *= 10\nnames += ['乙']\ntext = 'a'\ntext += 'b'", context)
    assert (context["n"], context["names"], context["text"]) == (30, ["甲", "乙"], "ab")
    with pytest.raises(SandboxError):
        env.execute("n = 10\nn **= 10 ** 10", {})


def test_dates_read_the_product_clock_and_are_kept_as_iso_text():
    context: dict = {}
    _with_time().execute(
        "today = date.today()\n"
        "later = datetime.now() + timedelta(days=2, hours=1)\n"
        "period = timedelta(hours=72)\n"
        "reply_due = working_days(today, 3)\n"
        "weekday = date(2026, 10, 1).weekday()",
        context,
    )
    assert context["today"] == "2026-09-30"  # 10:00 in Shanghai, whatever the system's zone
    assert context["later"] == "2026-10-02T11:00:00+08:00"
    assert context["period"] == "P3D"
    assert context["reply_due"].startswith("2026-10-10T23:59:59")  # over the National Day
    assert context["weekday"] == 3
