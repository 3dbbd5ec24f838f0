"""When things happen in a quarterly check-in round: pure date arithmetic, no database, no clock.

Vocabulary (all times are aware datetimes; zones are IANA names, never offsets, so daylight saving is right):
- a round's *day 1* is the first business day (Mon-Fri) of its quarter; day N is N-1 calendar days later;
- a rep is invited at `open_hour` local time on day 1, reminded at `open_hour` local on each reminder day
  (rolled forward to Monday when it falls on a weekend), and the round's due date is day `close_day`;
- the round closes once its due date is over in every zone that takes part (the last rep's midnight).

A round opened by hand (`checkin open --due D`) keeps the same shape around its due date: day 1 is
`due - (close_day - 1)` days, so reminders stay spaced the way the settings say.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

__all__ = [
    "EARLIEST_OFFSET",
    "RoundPlan",
    "business_day_on_or_after",
    "first_business_day",
    "local_time_to_utc",
    "parse_quarter",
    "quarter_label",
    "quarter_of",
    "quarter_start",
]

_QUARTER = re.compile(r"^(\d{4})-Q([1-4])$")
# The earliest zone on Earth (Pacific/Kiritimati, UTC+14): a quarter has begun somewhere once UTC+14 reaches it.
EARLIEST_OFFSET = timedelta(hours=14)


def parse_quarter(label: str) -> tuple[int, int]:
    """`"2026-Q4"` -> (2026, 4); ValueError with a one-line reason otherwise."""
    match = _QUARTER.match(label.strip().upper())
    if not match:
        raise ValueError(f"a quarter looks like 2026-Q4, not {label!r}")
    return int(match.group(1)), int(match.group(2))


def quarter_label(year: int, quarter: int) -> str:
    return f"{year}-Q{quarter}"


def quarter_of(day: date) -> str:
    return quarter_label(day.year, (day.month - 1) // 3 + 1)


def quarter_start(label: str) -> date:
    year, quarter = parse_quarter(label)
    return date(year, 3 * (quarter - 1) + 1, 1)


def business_day_on_or_after(day: date, quiet_days: Iterable[date] = ()) -> date:
    """`day`, or the first Monday-to-Friday after it that is not one of `quiet_days` (holidays)."""
    quiet = set(quiet_days)
    while day.weekday() >= 5 or day in quiet:
        day += timedelta(days=1)
    return day


def first_business_day(label: str) -> date:
    return business_day_on_or_after(quarter_start(label))


def local_time_to_utc(day: date, hour: int, zone: str) -> datetime:
    """`hour`:00 on `day` on the wall clock in `zone`, as UTC.

    In a spring-forward gap the wall-clock time does not exist; zoneinfo then reads it with the offset from
    before the change (fold=0), which lands one hour later in real time, as a person would expect.
    """
    local = datetime.combine(day, time(hour), tzinfo=ZoneInfo(zone))
    return local.astimezone(UTC)


def current_quarter(now: datetime) -> str:
    """The quarter that has begun somewhere on Earth at `now` (so the earliest zone is not left waiting)."""
    return quarter_of((now.astimezone(UTC) + EARLIEST_OFFSET).date())


@dataclass(frozen=True)
class RoundPlan:
    """The timetable of one round, from its due date and the schedule settings."""

    due_date: date
    open_hour: int = 10
    reminder_days: tuple[int, ...] = (3, 7)
    close_day: int = 14
    # Holidays: nobody is invited or reminded on one; it moves to the next business day that isn't quiet.
    quiet_days: frozenset[date] = frozenset()

    @classmethod
    def for_quarter(
        cls, label: str, open_hour: int = 10, reminder_days: tuple[int, ...] = (3, 7), close_day: int = 14
    ) -> RoundPlan:
        due = first_business_day(label) + timedelta(days=close_day - 1)
        return cls(due, open_hour, reminder_days, close_day)

    @property
    def day_one(self) -> date:
        return self.due_date - timedelta(days=self.close_day - 1)

    def invite_at(self, zone: str) -> datetime:
        """When a rep in `zone` gets the round's DM (after any quiet days that begin the round)."""
        return local_time_to_utc(business_day_on_or_after(self.day_one, self.quiet_days), self.open_hour, zone)

    def reminder_at(self, number: int, zone: str) -> datetime:
        """When reminder `number` (1-based) is due for a rep in `zone`."""
        day = self.day_one + timedelta(days=self.reminder_days[number - 1] - 1)
        return local_time_to_utc(business_day_on_or_after(day, self.quiet_days), self.open_hour, zone)

    def reminders_due(self, zone: str, now: datetime) -> int:
        """How many of the round's reminders have come due for a rep in `zone` by `now`."""
        return sum(1 for n in range(1, len(self.reminder_days) + 1) if self.reminder_at(n, zone) <= now)

    def close_at(self, zones: Iterable[str]) -> datetime:
        """The moment the due date is over in every one of `zones` (the last local midnight)."""
        after = self.due_date + timedelta(days=1)
        return max(local_time_to_utc(after, 0, zone) for zone in {*zones, "UTC"})

    def opens_at(self) -> datetime:
        """The round exists from the moment day 1 has begun somewhere on Earth."""
        return datetime.combine(self.day_one, time(0), tzinfo=UTC) - EARLIEST_OFFSET


def next_local_morning(now: datetime, zone: str, hour: int, quiet_days: Iterable[date] = ()) -> datetime:
    """`hour`:00 tomorrow in `zone` (for "Remind me tomorrow"), rolled forward past a weekend and quiet days."""
    local_today = now.astimezone(ZoneInfo(zone)).date()
    return local_time_to_utc(business_day_on_or_after(local_today + timedelta(days=1), quiet_days), hour, zone)


def round_due_in_quarter(label: str, cadence: str, every: int) -> bool:
    """Whether the clock opens a round in this quarter: every quarter, or every N months when N is a whole number
    of quarters (6 months: Q1 and Q3). Weekly and sub-quarter cadences open one round per quarter (see README)."""
    if cadence != "months" or every % 3 != 0:
        return True
    year, quarter = parse_quarter(label)
    return (year * 4 + quarter - 1) % (every // 3) == 0
