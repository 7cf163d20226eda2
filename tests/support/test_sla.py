"""Working-hours SLA arithmetic: weekends, evenings and French public holidays do not count."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from aifhub.support.sla import SlaPolicy, WorkingCalendar, policy_from_site

PARIS = ZoneInfo("Europe/Paris")
cal = WorkingCalendar()


def paris(*args: int) -> datetime:
    return datetime(*args, tzinfo=PARIS)


def test_friday_evening_rolls_to_monday():
    # Friday 27 Nov 2026, 17:00 Paris + 4 working hours -> Monday 30 Nov, 12:00 Paris
    due = cal.add_working_hours(paris(2026, 11, 27, 17, 0), 4)
    assert due == paris(2026, 11, 30, 12, 0).astimezone(UTC)


def test_night_starts_next_morning_and_holidays_skipped():
    # Thursday 31 Dec 2026, 22:00; Friday 1 Jan is a holiday: the clock starts Monday 9:00
    due = cal.add_working_hours(paris(2026, 12, 31, 22, 0), 2)
    assert due == paris(2027, 1, 4, 11, 0).astimezone(UTC)


def test_working_seconds_excludes_nights_weekends_and_holidays():
    # Monday 13 Jul 2026 17:00 -> Wednesday 15 Jul 10:00; 14 July is Bastille Day
    secs = cal.working_seconds(paris(2026, 7, 13, 17, 0), paris(2026, 7, 15, 10, 0))
    assert secs == 2 * 3600
    assert cal.working_seconds(paris(2026, 7, 15, 10, 0), paris(2026, 7, 13, 17, 0)) == 0


def test_policy_targets_and_site_override():
    opened = paris(2026, 11, 30, 9, 0)  # a Monday
    first, resolve = SlaPolicy().due("urgent", opened)
    assert first == paris(2026, 11, 30, 10, 0).astimezone(UTC)
    assert resolve == paris(2026, 11, 30, 18, 0).astimezone(UTC)
    custom = policy_from_site({"sla_hours": {"low": [2, 3]}, "day_end": "17:00"})
    first, resolve = custom.due("low", opened)
    assert first == paris(2026, 11, 30, 11, 0).astimezone(UTC)
    assert custom.calendar.working_seconds(opened, paris(2026, 11, 30, 18, 0)) == 8 * 3600
