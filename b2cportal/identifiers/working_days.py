"""Working days in Norway and Sweden (weekends and public holidays from `holidays`)."""

from __future__ import annotations

import datetime
from functools import cache

import holidays

# ---------------------------------------------------------------------------------------------
# Working days
# ---------------------------------------------------------------------------------------------


@cache
def _holidays(country: str) -> holidays.HolidayBase:
    if country == "SE":
        # Midsummer Eve, Christmas Eve and New Year's Eve are not public holidays in Sweden but
        # banks and most offices are closed; holidays files them under the de facto category.
        return holidays.country_holidays("SE", categories=("public", "de_facto"))
    return holidays.country_holidays(country)


def _is_working_day(day: datetime.date, country: str) -> bool:
    # Weekends are checked explicitly: some holidays versions list every Sunday as a holiday
    # in NO/SE and some do not, and Saturdays are never listed.
    return day.weekday() < 5 and day not in _holidays(country)


def _add_working_days(start: datetime.date, days: int, country: str) -> datetime.date:
    step = 1 if days >= 0 else -1
    current = start
    remaining = abs(days)
    while remaining:
        current += datetime.timedelta(days=step)
        if _is_working_day(current, country):
            remaining -= 1
    return current


def add_norwegian_working_days(start: datetime.date, days: int) -> datetime.date:
    """``start`` moved ``days`` working days (weekends and Norwegian public holidays skipped)."""
    return _add_working_days(start, days, "NO")


def add_swedish_working_days(start: datetime.date, days: int) -> datetime.date:
    """``start`` moved ``days`` working days (weekends, Swedish public holidays and the
    de facto holidays Midsummer Eve, Christmas Eve and New Year's Eve skipped)."""
    return _add_working_days(start, days, "SE")
