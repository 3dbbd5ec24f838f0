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

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from persona_store.quarters import parse_quarter, quarter_of

# The earliest zone on Earth (Pacific/Kiritimati, UTC+14): a quarter has begun somewhere once UTC+14 reaches it.
EARLIEST_OFFSET = timedelta(hours=14)


def business_day_on_or_after(day: date, quiet_days: Iterable[date] = ()) -> date:
    """`day`, or the first Monday-to-Friday after it that is not one of `quiet_days` (holidays)."""
    quiet = set(quiet_days)
    while day.weekday() >= 5 or day in quiet:
        day += timedelta(days=1)
    return day


def first_business_day(label: str) -> date:
    return business_day_on_or_after(parse_quarter(label).start)


def local_time_to_utc(day: date, hour: int, zone: str) -> datetime:
    """`hour`:00 on `day` on the wall clock in `zone`, as UTC.

    In a spring-forward gap the wall-clock time does not exist; zoneinfo then reads it with the offset from
    before the change (fold=0), which lands one hour later in real time, as a person would expect.
    """
    local = datetime.combine(day, time(hour), tzinfo=ZoneInfo(zone))
    return local.astimezone(UTC)


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
        return cls.for_period(parse_quarter(label).start, open_hour, reminder_days, close_day)

    @classmethod
    def for_period(
        cls, start: date, open_hour: int = 10, reminder_days: tuple[int, ...] = (3, 7), close_day: int = 14
    ) -> RoundPlan:
        """A round whose period begins on `start`: day 1 is the first business day from then."""
        due = business_day_on_or_after(start) + timedelta(days=close_day - 1)
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


# --- cadence: quarterly, or every N weeks or months --------------------------------------------------------------

CADENCE_EPOCH = date(2024, 1, 1)  # a Monday: "every 2 weeks" counts fortnights from here, the same for everyone


def period_start(day: date, cadence: str, every: int = 1) -> date:
    """The first day of the round period `day` falls in: a quarter, every `every`-th month (counted from January
    of year 0, so every 6 months starts in January and July), or every `every`-th week (Mondays)."""
    if cadence == "weeks":
        monday = day - timedelta(days=day.weekday())
        weeks = (monday - CADENCE_EPOCH).days // 7
        return monday - timedelta(weeks=weeks % max(every, 1))
    months = 3 if cadence == "quarterly" else max(every, 1)
    index = day.year * 12 + day.month - 1
    first = index - index % months
    return date(first // 12, first % 12 + 1, 1)


def period_label(start: date, cadence: str, every: int = 1) -> str:
    """A round's label: its quarter (`2026-Q4`) for the first period starting in that quarter, then `2026-Q4.02`,
    `2026-Q4.03` … for later ones (sortable as text; reports count each round in its quarter, the first 7
    characters)."""
    quarter = quarter_of(start).label
    first_day = quarter_of(start).start
    number, day = 1, start
    while True:
        previous = period_start(day - timedelta(days=1), cadence, every)
        if previous < first_day:
            break
        number, day = number + 1, previous
    return quarter if number == 1 else f"{quarter}.{number:02d}"


def current_period(now: datetime, cadence: str, every: int = 1) -> tuple[str, date]:
    """The round period that has begun somewhere on Earth at `now`: (label, first day)."""
    start = period_start((now.astimezone(UTC) + EARLIEST_OFFSET).date(), cadence, every)
    return period_label(start, cadence, every), start


def period_days(cadence: str, every: int = 1) -> int:
    """The shortest a period of this cadence can be, in days (a round must close before the next one opens)."""
    if cadence == "weeks":
        return 7 * every
    return 28 * every if cadence == "months" else 90
