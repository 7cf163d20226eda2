"""SLA targets counted in working hours (9:00-18:00 Europe/Paris, weekdays, French holidays off)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

import holidays

from aifhub.schemas.enums.support import Priority


@dataclass(frozen=True)
class WorkingCalendar:
    """When the support desk works."""

    tz: str = "Europe/Paris"
    start: time = time(9, 0)
    end: time = time(18, 0)
    country: str = "FR"

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.tz)

    def is_working_day(self, day: date) -> bool:
        """A weekday that is not a public holiday of the calendar's country."""
        return day.weekday() < 5 and day not in _holidays(self.country, day.year)

    def _day_bounds(self, day: date) -> tuple[datetime, datetime]:
        return (
            datetime.combine(day, self.start, self.zone),
            datetime.combine(day, self.end, self.zone),
        )

    def add_working_hours(self, at: datetime, hours: float | int) -> datetime:
        """The instant `hours` working hours after `at` (UTC, timezone-aware)."""
        remaining = timedelta(hours=hours)
        local = at.astimezone(self.zone)
        day = local.date()
        while True:
            if self.is_working_day(day):
                lo, hi = self._day_bounds(day)
                begin = max(local, lo)
                if begin < hi:
                    available = hi - begin
                    if remaining <= available:
                        return (begin + remaining).astimezone(UTC)
                    remaining -= available
            day += timedelta(days=1)
            local = datetime.combine(day, time(0, 0), self.zone)

    def working_seconds(self, a: datetime, b: datetime) -> int:
        """Working seconds between two instants (0 when b is before a)."""
        if b <= a:
            return 0
        la, lb = a.astimezone(self.zone), b.astimezone(self.zone)
        total = 0.0
        day = la.date()
        while day <= lb.date():
            if self.is_working_day(day):
                lo, hi = self._day_bounds(day)
                begin, end = max(la, lo), min(lb, hi)
                if end > begin:
                    total += (end - begin).total_seconds()
            day += timedelta(days=1)
        return int(total)


@lru_cache(maxsize=64)
def _holidays(country: str, year: int) -> holidays.HolidayBase:
    return holidays.country_holidays(country, years=year)


DEFAULT_TARGETS: dict[str, tuple[int, int]] = {
    # priority: (first response, resolution), in working hours
    Priority.URGENT.value: (1, 9),
    Priority.HIGH.value: (4, 18),
    Priority.NORMAL.value: (9, 45),
    Priority.LOW.value: (18, 90),
}


@dataclass(frozen=True)
class SlaPolicy:
    """Targets per priority and the calendar they are counted in."""

    calendar: WorkingCalendar = WorkingCalendar()
    targets: dict[str, tuple[int, int]] = field(default_factory=lambda: dict(DEFAULT_TARGETS))

    def due(self, priority: str, opened_at: datetime) -> tuple[datetime, datetime]:
        """First-response and resolution deadlines of a ticket opened at `opened_at`."""
        first, resolve = self.targets[priority]
        return (
            self.calendar.add_working_hours(opened_at, first),
            self.calendar.add_working_hours(opened_at, resolve),
        )


def policy_from_site(section: Any) -> SlaPolicy:
    """The SLA policy of the site file's [support] section (defaults when absent)."""
    if not section:
        return SlaPolicy()
    cal = WorkingCalendar(
        tz=section.get("timezone", "Europe/Paris"),
        start=time.fromisoformat(section.get("day_start", "09:00")),
        end=time.fromisoformat(section.get("day_end", "18:00")),
        country=section.get("holidays_country", "FR"),
    )
    targets = dict(DEFAULT_TARGETS)
    for prio, pair in (section.get("sla_hours") or {}).items():
        targets[Priority(prio).value] = (int(pair[0]), int(pair[1]))
    return SlaPolicy(calendar=cal, targets=targets)
