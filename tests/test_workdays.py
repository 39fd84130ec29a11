"""Deadline arithmetic against the real 2026 State Council holiday schedule.

2026 facts used below (chinesecalendar 1.11):
* 中秋节 09-25..09-27 (Fri–Sun); 国庆节 10-01..10-07; make-up workdays 09-20 (Sun), 10-10 (Sat).
* 春节 02-15..02-23; make-up workdays 02-14 (Sat) and 02-28 (Sat).
* 劳动节 05-01..05-05; make-up workday 05-09 (Sat).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from app.holiday_file import CalendarFormatError, parse_calendar_file
from app.workdays import SHANGHAI, DayOverride, WorkCalendar, to_local_date


@pytest.fixture
def cal() -> WorkCalendar:
    return WorkCalendar()


def end_of(d: date) -> datetime:
    return datetime.combine(d, time.max, tzinfo=SHANGHAI)


# --- day_info -----------------------------------------------------------------


def test_day_info_labels_real_2026_days(cal: WorkCalendar) -> None:
    assert cal.day_info(date(2026, 9, 30)) == (True, "工作日", False)
    assert cal.day_info(date(2026, 10, 1)) == (False, "法定节假日（国庆节）", False)
    assert cal.day_info(date(2026, 10, 10)) == (True, "调休上班日", False)
    assert cal.day_info(date(2026, 10, 11)) == (False, "周末", False)
    assert cal.day_info(date(2026, 9, 25)) == (False, "法定节假日（中秋节）", False)
    assert cal.day_info(date(2026, 2, 14)) == (True, "调休上班日", False)


def test_official_data_covers_2026_but_not_2027_unless_imported() -> None:
    assert WorkCalendar().has_official_data(2026)
    assert not WorkCalendar().has_official_data(2027)
    assert WorkCalendar(imported_years={2027}).has_official_data(2027)


def test_year_without_data_falls_back_to_weekends_and_is_provisional(cal: WorkCalendar) -> None:
    assert cal.day_info(date(2027, 1, 1)) == (True, "工作日", True)  # Friday, no data
    assert cal.day_info(date(2027, 1, 2)) == (False, "周末", True)


# --- working days -------------------------------------------------------------


def test_three_working_days_after_sept_30_skip_national_day_and_count_makeup_saturday(
    cal: WorkCalendar,
) -> None:
    dl = cal.add_working_days(date(2026, 9, 30), 3)
    # 10-01..10-07 holiday, then 10-08 Thu, 10-09 Fri, 10-10 Sat (调休上班日).
    assert dl.due_date == date(2026, 10, 10)
    assert dl.due_at == end_of(date(2026, 10, 10))
    assert dl.due_at.utcoffset() == timedelta(hours=8)
    assert dl.rule == "working_days" and dl.n == 3 and dl.start == date(2026, 9, 30)
    assert not dl.provisional
    assert [d for d, _ in dl.skipped] == [date(2026, 10, d) for d in range(1, 8)]
    assert {reason for _, reason in dl.skipped} == {"法定节假日（国庆节）"}
    assert dl.makeup_days == (date(2026, 10, 10),)
    text = dl.explain()
    for fragment in ("2026-09-30", "3 个工作日", "2026-10-10", "10-01至10-07", "国庆节"):
        assert fragment in text
    assert "10-10 调休上班日" in text
    assert "暂定" not in text


def test_one_working_day_after_sept_30_is_first_day_after_national_day(cal: WorkCalendar) -> None:
    assert cal.add_working_days("2026-09-30", 1).due_date == date(2026, 10, 8)


def test_working_days_from_friday_skip_ordinary_weekend(cal: WorkCalendar) -> None:
    dl = cal.add_working_days(date(2026, 3, 13), 1)  # Friday
    assert dl.due_date == date(2026, 3, 16)
    assert dl.skipped == ((date(2026, 3, 14), "周末"), (date(2026, 3, 15), "周末"))
    assert dl.makeup_days == ()
    assert "03-14至03-15 周末" in dl.explain()


def test_working_days_count_makeup_sunday_before_mid_autumn(cal: WorkCalendar) -> None:
    dl = cal.add_working_days(date(2026, 9, 18), 3)  # Fri; 09-19 Sat rest, 09-20 Sun work
    assert dl.due_date == date(2026, 9, 22)
    assert dl.skipped == ((date(2026, 9, 19), "周末"),)
    assert dl.makeup_days == (date(2026, 9, 20),)


def test_one_working_day_before_spring_festival_lands_on_makeup_saturday(
    cal: WorkCalendar,
) -> None:
    dl = cal.add_working_days(date(2026, 2, 13), 1)
    assert dl.due_date == date(2026, 2, 14)
    assert dl.skipped == ()
    assert dl.makeup_days == (date(2026, 2, 14),)


def test_two_working_days_across_spring_festival(cal: WorkCalendar) -> None:
    dl = cal.add_working_days(date(2026, 2, 13), 2)
    assert dl.due_date == date(2026, 2, 24)
    assert len(dl.skipped) == 9
    assert "02-15至02-23 法定节假日（春节）" in dl.explain()


def test_one_working_day_from_last_spring_festival_day(cal: WorkCalendar) -> None:
    assert cal.add_working_days(date(2026, 2, 23), 1).due_date == date(2026, 2, 24)


def test_working_days_across_labour_day(cal: WorkCalendar) -> None:
    dl = cal.add_working_days(date(2026, 4, 29), 5)
    # 04-30, then 05-01..05-05 off, 05-06, 05-07, 05-08, 05-09 (Sat make-up).
    assert dl.due_date == date(2026, 5, 9)
    assert dl.makeup_days == (date(2026, 5, 9),)


def test_start_accepts_datetime_and_iso_strings_in_shanghai_time(cal: WorkCalendar) -> None:
    # 2026-09-29 20:00 UTC is already 2026-09-30 04:00 in Shanghai.
    utc = datetime(2026, 9, 29, 20, 0, tzinfo=UTC)
    assert cal.add_working_days(utc, 1).start == date(2026, 9, 30)
    assert cal.add_working_days("2026-09-29T20:00:00+00:00", 1).start == date(2026, 9, 30)
    assert cal.add_working_days(datetime(2026, 9, 30, 23, 0), 1).start == date(2026, 9, 30)


@pytest.mark.parametrize("bad", [0, -1, True, 1.5, "3"])
def test_invalid_n_is_rejected(cal: WorkCalendar, bad: object) -> None:
    with pytest.raises(ValueError):
        cal.add_working_days(date(2026, 9, 30), bad)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        cal.add_calendar_days(date(2026, 9, 30), bad)  # type: ignore[arg-type]


# --- calendar days ------------------------------------------------------------


def test_calendar_days_ending_in_holiday_roll_to_first_working_day_after(
    cal: WorkCalendar,
) -> None:
    dl = cal.add_calendar_days(date(2026, 9, 30), 3)  # nominal 10-03 (国庆节)
    assert dl.due_date == date(2026, 10, 8)
    assert dl.due_at == end_of(date(2026, 10, 8))
    assert dl.rule == "calendar_days"
    assert [d for d, _ in dl.skipped] == [date(2026, 10, d) for d in range(3, 8)]
    text = dl.explain()
    assert "3 日" in text and "2026-10-08" in text and "10-03至10-07" in text


def test_calendar_days_ending_on_makeup_workday_do_not_roll(cal: WorkCalendar) -> None:
    dl = cal.add_calendar_days(date(2026, 9, 30), 10)  # 10-10 is a make-up Saturday
    assert dl.due_date == date(2026, 10, 10)
    assert dl.skipped == ()
    assert dl.makeup_days == (date(2026, 10, 10),)
    assert "调休上班日" in dl.explain()


def test_calendar_days_ending_on_ordinary_workday_ignore_holidays_in_between(
    cal: WorkCalendar,
) -> None:
    dl = cal.add_calendar_days(date(2026, 4, 30), 15)  # passes Labour Day
    assert dl.due_date == date(2026, 5, 15)
    assert dl.skipped == ()


def test_calendar_days_ending_on_ordinary_sunday_roll_to_monday(cal: WorkCalendar) -> None:
    dl = cal.add_calendar_days(date(2026, 3, 1), 7)  # 03-08 Sunday
    assert dl.due_date == date(2026, 3, 9)


# --- years without official data ----------------------------------------------


def test_start_in_2027_is_provisional_and_weekends_only(cal: WorkCalendar) -> None:
    dl = cal.add_working_days(date(2027, 1, 8), 3)  # Fri
    assert dl.due_date == date(2027, 1, 13)
    assert dl.provisional
    assert "暂定" in dl.explain()


def test_working_days_crossing_into_2027_are_provisional(cal: WorkCalendar) -> None:
    dl = cal.add_working_days(date(2026, 12, 30), 3)
    # 12-31 Thu, 2027-01-01 Fri (no data → workday), 01-04 Mon.
    assert dl.due_date == date(2027, 1, 4)
    assert dl.provisional


def test_working_days_inside_2026_are_not_provisional_even_at_year_end(
    cal: WorkCalendar,
) -> None:
    assert not cal.add_working_days(date(2026, 12, 30), 1).provisional


def test_imported_2027_with_overrides_is_official_and_skips_override_holiday() -> None:
    cal = WorkCalendar({date(2027, 1, 1): DayOverride(False, "元旦")}, imported_years={2027})
    dl = cal.add_working_days(date(2026, 12, 30), 3)
    assert dl.due_date == date(2027, 1, 5)
    assert not dl.provisional
    assert dl.skipped[0] == (date(2027, 1, 1), "元旦")
    assert "2027-01-01至2027-01-03" in dl.explain()


def test_override_without_import_is_not_provisional_for_that_day() -> None:
    cal = WorkCalendar({date(2027, 1, 1): DayOverride(False, "元旦")})
    assert cal.day_info(date(2027, 1, 1)) == (False, "元旦", False)
    assert cal.add_working_days(date(2026, 12, 30), 3).provisional  # 01-04 still unknown


def test_overrides_beat_chinesecalendar() -> None:
    cal = WorkCalendar(
        {
            date(2026, 10, 8): DayOverride(False, "区防汛停工"),
            date(2026, 10, 11): DayOverride(True),
        }
    )
    assert cal.day_info(date(2026, 10, 11)) == (True, "调休上班日", False)
    dl = cal.add_working_days(date(2026, 9, 30), 3)
    # 10-08 now off; 10-09, 10-10, 10-11 count.
    assert dl.due_date == date(2026, 10, 11)
    assert (date(2026, 10, 8), "区防汛停工") in dl.skipped
    assert dl.makeup_days == (date(2026, 10, 10), date(2026, 10, 11))


# --- next_working_day_at ------------------------------------------------------


def test_next_working_day_at_moves_saturday_to_monday_morning(cal: WorkCalendar) -> None:
    saturday = datetime(2026, 3, 14, 15, 30, tzinfo=SHANGHAI)
    assert cal.next_working_day_at(saturday) == datetime(2026, 3, 16, 9, tzinfo=SHANGHAI)


def test_next_working_day_at_moves_holiday_past_national_day(cal: WorkCalendar) -> None:
    moment = datetime(2026, 10, 2, 1, 0, tzinfo=UTC)
    assert cal.next_working_day_at(moment, hour=8) == datetime(2026, 10, 8, 8, tzinfo=SHANGHAI)


def test_next_working_day_at_keeps_working_day_moment(cal: WorkCalendar) -> None:
    makeup = datetime(2026, 10, 10, 22, 0, tzinfo=SHANGHAI)
    assert cal.next_working_day_at(makeup) is makeup


def test_next_working_day_at_uses_shanghai_local_date(cal: WorkCalendar) -> None:
    # Friday 2026-03-13 17:00 UTC is Saturday 01:00 in Shanghai.
    moment = datetime(2026, 3, 13, 17, 0, tzinfo=UTC)
    assert cal.next_working_day_at(moment) == datetime(2026, 3, 16, 9, tzinfo=SHANGHAI)


# --- to_local_date ------------------------------------------------------------


def test_to_local_date_conversions() -> None:
    assert to_local_date("2026-10-01") == date(2026, 10, 1)
    assert to_local_date("2026-09-30T16:30:00Z") == date(2026, 10, 1)
    assert to_local_date(datetime(2026, 9, 30, 23, 59)) == date(2026, 9, 30)
    with pytest.raises(ValueError):
        to_local_date("not a date")


# --- parse_calendar_file ------------------------------------------------------

GOOD_FILE = """\ufeff# 2027 年安排
year,2027

2027-01-01, holiday, 元旦
2027-02-06,workday,春节调休上班
2027-02-08,休,"春节, 第一天"
2027-02-20,班
2027-01-01,HOLIDAY
2027-10-01,holiday,国庆节  # a comment after a space
"""


def test_parse_calendar_file_reads_kinds_notes_and_years() -> None:
    schedule = parse_calendar_file(GOOD_FILE)
    overrides = schedule.overrides
    assert schedule.years == schedule.declared == {2027}
    assert overrides[date(2027, 1, 1)] == DayOverride(False, "元旦")
    assert overrides[date(2027, 10, 1)] == DayOverride(False, "国庆节")
    assert overrides[date(2027, 2, 6)] == DayOverride(True, "春节调休上班")
    assert overrides[date(2027, 2, 8)] == DayOverride(False, "春节, 第一天")
    assert overrides[date(2027, 2, 20)] == DayOverride(True, "")
    assert len(overrides) == 5


def test_a_date_outside_the_declared_year_is_an_error_naming_its_line() -> None:
    with pytest.raises(CalendarFormatError, match="第 3 行：2028-01-01 不在文件声明的年度（2027）"):
        parse_calendar_file("year,2027\n2027-01-01,休\n2028-01-01,休\n")


def test_files_without_a_declaration_cover_the_years_they_name() -> None:
    schedule = parse_calendar_file("2027-01-01,休\n2028-01-01,休\n")
    assert (schedule.years, schedule.declared) == ({2027, 2028}, set())


def test_parsed_file_feeds_work_calendar() -> None:
    schedule = parse_calendar_file(GOOD_FILE)
    cal = WorkCalendar(schedule.overrides, schedule.years)
    dl = cal.add_working_days(date(2027, 2, 5), 1)  # Fri → Sat 02-06 make-up
    assert dl.due_date == date(2027, 2, 6)
    assert not dl.provisional


def test_year_declaration_alone_marks_year_covered() -> None:
    schedule = parse_calendar_file("year , 2030\n")
    assert (schedule.overrides, schedule.years) == ({}, {2030})


@pytest.mark.parametrize(
    ("text", "line_no"),
    [
        ("# header\n2027-13-01,holiday\n", 2),
        ("2027-01-01,holiday\n\n2027/01/02,holiday\n", 3),
        ("2027-01-01,vacation\n", 1),
        ("2027-01-01\n", 1),
        ("2027-01-01,holiday\n2027-01-01,workday\n", 2),
        ("year,27\n", 1),
    ],
)
def test_parse_calendar_file_errors_name_the_line(text: str, line_no: int) -> None:
    with pytest.raises(CalendarFormatError) as info:
        parse_calendar_file(text)
    assert info.value.line_no == line_no
    assert f"第 {line_no} 行" in str(info.value)


def test_conflicting_duplicate_mentions_first_line() -> None:
    with pytest.raises(CalendarFormatError, match="第 1 行"):
        parse_calendar_file("2027-01-01,holiday\n2027-01-01,班\n")
