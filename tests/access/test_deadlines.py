"""Working days in France: a table of known dates."""

from __future__ import annotations

from datetime import date

import pytest

from aifhub.access.deadlines import (
    add_months,
    add_working_days,
    is_working_day,
    next_cutoff,
    working_days_between,
)

HOLIDAYS_2026 = [
    date(2026, 1, 1),  # New Year
    date(2026, 4, 6),  # Easter Monday
    date(2026, 5, 1),  # Labour Day
    date(2026, 5, 8),  # Victory in Europe
    date(2026, 5, 14),  # Ascension
    date(2026, 5, 25),  # Whit Monday
    date(2026, 7, 14),  # Bastille Day
    date(2026, 8, 15),  # Assumption (a Saturday in 2026)
    date(2026, 11, 11),  # Armistice
    date(2026, 12, 25),  # Christmas
    date(2025, 11, 1),  # All Saints (a Saturday in 2025)
    date(2027, 11, 1),  # All Saints (a Monday in 2027)
    date(2027, 3, 29),  # Easter Monday 2027
]


@pytest.mark.parametrize("day", HOLIDAYS_2026)
def test_holidays_are_not_working_days(day):
    assert not is_working_day(day)


@pytest.mark.parametrize(
    ("start", "n", "expected"),
    [
        (date(2026, 4, 2), 2, date(2026, 4, 7)),  # Thu +2: Fri, (weekend, Easter Monday) Tue
        (date(2026, 4, 30), 1, date(2026, 5, 4)),  # Thu +1: 1 May Fri is off -> Mon 4
        (date(2026, 5, 7), 1, date(2026, 5, 11)),  # Thu +1: 8 May Fri is off -> Mon 11
        (date(2026, 5, 13), 1, date(2026, 5, 15)),  # Wed +1: Ascension Thu -> Fri 15
        (date(2026, 5, 22), 1, date(2026, 5, 26)),  # Fri +1: Whit Monday -> Tue 26
        (date(2026, 7, 13), 1, date(2026, 7, 15)),  # Mon +1: 14 July -> Wed 15
        (date(2026, 8, 14), 1, date(2026, 8, 17)),  # Fri +1: 15 Aug is a Sat anyway
        (date(2027, 10, 29), 1, date(2027, 11, 2)),  # Fri +1: All Saints Mon -> Tue
        (date(2026, 11, 10), 1, date(2026, 11, 12)),  # Tue +1: 11 Nov -> Thu 12
        (date(2026, 12, 24), 1, date(2026, 12, 28)),  # Thu +1: Christmas Fri -> Mon 28
        (date(2026, 11, 27), 4, date(2026, 12, 3)),  # Fri +4 over a weekend
        (date(2026, 11, 28), 2, date(2026, 12, 1)),  # Sat +2: Mon, Tue
        (date(2026, 6, 1), 10, date(2026, 6, 15)),  # two plain weeks
        (date(2026, 6, 3), 0, date(2026, 6, 3)),
    ],
)
def test_add_working_days(start, n, expected):
    assert add_working_days(start, n) == expected
    assert working_days_between(start, expected) == n


def test_working_days_between_is_signed_and_zero_on_same_day():
    assert working_days_between(date(2026, 12, 3), date(2026, 11, 27)) == -4
    assert working_days_between(date(2026, 1, 5), date(2026, 1, 5)) == 0
    # The whole of May 2026: 21 weekdays minus 1, 8, 14 and 25 May.
    assert working_days_between(date(2026, 4, 30), date(2026, 5, 31)) == 17


def test_negative_n_is_refused():
    with pytest.raises(ValueError):
        add_working_days(date(2026, 1, 5), -1)


def test_next_cutoff_and_add_months():
    cutoffs = ["01-15", "04-15", "07-15", "10-15"]
    assert next_cutoff(date(2026, 4, 15), cutoffs) == date(2026, 4, 15)
    assert next_cutoff(date(2026, 4, 16), cutoffs) == date(2026, 7, 15)
    assert next_cutoff(date(2026, 11, 28), cutoffs) == date(2027, 1, 15)
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert add_months(date(2026, 11, 28), 12) == date(2027, 11, 28)
    assert add_months(date(2026, 10, 31), 3) == date(2027, 1, 31)
