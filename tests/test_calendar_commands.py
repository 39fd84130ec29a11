"""`huajie calendar …` and provisional deadlines for years without official data."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from app.cli import main
from app.models import TaskRecord, Timer
from tests.helpers import open_task, register, step


def _run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_deadline_command_prints_date_first(db):
    result = _run("calendar", "deadline", "--from", "2026-09-30", "--working-days", "3")
    assert result.exit_code == 0
    assert result.output.strip() == "2026-10-10"


def test_deadline_command_calendar_days_roll_over_holiday(db):
    # 5 日 after 2026-09-28 is 10-03 (National Day) -> first working day after: 10-08
    result = _run("calendar", "deadline", "--from", "2026-09-28", "--calendar-days", "5")
    assert result.output.strip() == "2026-10-08"


def test_deadline_in_2027_is_provisional_until_the_year_is_imported(db, tmp_path):
    result = _run("calendar", "deadline", "--from", "2026-12-31", "--working-days", "1")
    assert result.output.strip() == "2027-01-01 provisional"
    schedule = tmp_path / "2027.csv"
    schedule.write_text("year,2027\n2027-01-01,holiday,元旦\n", encoding="utf-8")
    imported = _run("calendar", "import", str(schedule))
    assert imported.exit_code == 0, imported.output
    result = _run("calendar", "deadline", "--from", "2026-12-31", "--working-days", "1")
    assert result.output.strip() == "2027-01-04"


def test_bad_import_file_names_the_line_and_changes_nothing(db, tmp_path):
    schedule = tmp_path / "bad.csv"
    schedule.write_text("2027-01-01,holiday\n2027-13-01,holiday\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["calendar", "import", str(schedule)])
    assert result.exit_code == 2
    assert "第 2 行" in result.output
    again = _run("calendar", "deadline", "--from", "2026-12-31", "--working-days", "1")
    assert again.output.strip() == "2027-01-01 provisional"


def test_import_recomputes_provisional_timers_and_clears_the_mark(db, clock, tmp_path):
    clock.set("2026-12-30T09:00:00+08:00")
    instance_id = register(db)
    step(db, instance_id, "center", "register_materials")  # the notice reaches GTZY on 12-30
    task = open_task(db, instance_id)
    # 12-31, 01-01 (no data: a weekday), 01-04 -> provisional 2027-01-04
    assert task.provisional
    assert task.due_at.date().isoformat() == "2027-01-04"
    schedule = tmp_path / "2027.txt"
    schedule.write_text(
        "# 2027 元旦\nyear,2027\n2027-01-01,休,元旦\n2027-01-04,休,元旦调休\n", encoding="utf-8"
    )
    result = _run("calendar", "import", str(schedule))
    assert '"instances_recomputed": 1' in result.output
    with db.read() as session:
        task = session.get(TaskRecord, task.id)
        timer = session.scalar(select(Timer).where(Timer.instance_id == instance_id))
    assert not task.provisional and not timer.provisional
    # 12-31, 01-05, 01-06
    assert task.due_at.date().isoformat() == "2027-01-06"
    assert timer.due_at == task.due_at


def _readme_calendar_example() -> str:
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    docs = Path(__file__).resolve().parent.parent / "docs" / "operations.md"
    text = readme + (docs.read_text(encoding="utf-8") if docs.exists() else "")
    block = re.search(r"```\n(# 2027 年节假日安排\n.*?)```", text, re.S)
    assert block is not None, "the import example is in the docs"
    return block.group(1)


def test_the_documented_import_example_imports_as_printed(db, tmp_path):
    schedule = tmp_path / "2027.txt"
    schedule.write_text(_readme_calendar_example(), encoding="utf-8")
    result = _run("calendar", "import", str(schedule))
    assert result.exit_code == 0, result.output
    assert '"years": [2027]' in result.output
    again = _run("calendar", "deadline", "--from", "2026-12-31", "--working-days", "1")
    assert again.output.strip() == "2027-01-04"


def test_a_date_outside_the_declared_year_is_refused_and_changes_nothing(db, tmp_path):
    schedule = tmp_path / "bad.txt"
    schedule.write_text("year,2027\n2027-01-01,休\n2028-01-01,休\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["calendar", "import", str(schedule)])
    assert result.exit_code == 2
    assert "第 3 行：2028-01-01 不在文件声明的年度（2027）之内" in result.output
    still = _run("calendar", "deadline", "--from", "2026-12-31", "--working-days", "1")
    assert still.output.strip() == "2027-01-01 provisional"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--from", "9999-12-30", "--working-days", "5"), "期限超出可计算的日期范围"),
        (("--from", "2026-09-30", "--working-days", "100000"), "working_days 须为 1 至 3650"),
        (("--from", "2026-09-30", "--calendar-days", "0"), "calendar_days 须为 1 至 3650"),
    ],
)
def test_impossible_deadlines_are_one_clear_line_not_a_traceback(db, args, message):
    result = CliRunner().invoke(main, ["calendar", "deadline", *args])
    assert result.exit_code == 2
    assert message in result.output and "Traceback" not in result.output


def test_the_deadline_command_works_before_init(tmp_path, monkeypatch):
    monkeypatch.setenv("HUAJIE_DATA", str(tmp_path / "fresh"))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    result = CliRunner().invoke(
        main, ["calendar", "deadline", "--from", "2026-09-30", "--working-days", "3"]
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "2026-10-10"
    assert "huajie init" in result.stderr
    assert not (tmp_path / "fresh" / "huajie.sqlite3").exists()
