"""Working days in France: weekends and French public holidays are not counted."""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

import holidays


@lru_cache(maxsize=64)
def _french_holidays(year: int) -> frozenset[date]:
    return frozenset(holidays.France(years=year))


def is_working_day(day: date) -> bool:
    """True from Monday to Friday unless the day is a French public holiday."""
    return day.weekday() < 5 and day not in _french_holidays(day.year)


def add_working_days(start: date, n: int) -> date:
    """The date n working days after start (start itself never counts; n=0 gives start)."""
    if n < 0:
        raise ValueError("n must be >= 0")
    day = start
    while n > 0:
        day += timedelta(days=1)
        if is_working_day(day):
            n -= 1
    return day


def working_days_between(start: date, end: date) -> int:
    """Working days in (start, end]: how many add_working_days steps lead from start to end."""
    if end <= start:
        return -working_days_between(end, start) if end < start else 0
    count, day = 0, start
    while day < end:
        day += timedelta(days=1)
        if is_working_day(day):
            count += 1
    return count


def next_cutoff(day: date, cutoffs: list[str]) -> date:
    """The first cut-off ("MM-DD", every year) on or after day."""
    if not cutoffs:
        return day
    candidates = []
    for year in (day.year, day.year + 1):
        for mmdd in cutoffs:
            month, dom = (int(x) for x in mmdd.split("-"))
            candidates.append(date(year, month, dom))
    return min(c for c in candidates if c >= day)


def add_months(day: date, months: int) -> date:
    """The same day `months` later, clamped to the month's end (31 Jan + 1 -> 28/29 Feb)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    for dom in (day.day, 30, 29, 28):
        try:
            return date(year, month, dom)
        except ValueError:
            continue
    raise ValueError("unreachable")
