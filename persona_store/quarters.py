"""Calendar quarters as values ("2026-Q4"): friendly parsing, UTC bounds, neighbours and spans; the one quarter API.

Check-in rounds (`persona_store.schedule`) build on it too. A quarter here is a calendar quarter in UTC. Feedback
belongs to a quarter by its check-in round's label when it has a round, else by the UTC date it was created
(`persona_store.evidence` applies that rule in SQL).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime

_LABEL = re.compile(r"^\s*(\d{4})\s*-?\s*[Qq]\s*([1-4])\s*$")
_SPAN_SEPARATORS = ("..", "–", "—", " to ", ":")  # en and em dashes are what people type


class QuarterError(ValueError):
    """A quarter people typed could not be read; the message is one line, fit for a person."""


@dataclass(frozen=True, order=True)
class Quarter:
    year: int
    number: int  # 1..4

    def __post_init__(self) -> None:
        if not 1 <= self.number <= 4:
            raise QuarterError(f"a quarter is numbered 1 to 4, not {self.number}")
        if not 1900 <= self.year <= 9999:
            raise QuarterError(f"{self.year} is not a year persona-bot can report on")

    @property
    def label(self) -> str:
        return f"{self.year}-Q{self.number}"

    def __str__(self) -> str:
        return self.label

    @property
    def start(self) -> date:
        """The first day of the quarter."""
        return date(self.year, 3 * (self.number - 1) + 1, 1)

    @property
    def end(self) -> date:
        """The first day of the next quarter (exclusive end)."""
        return self.next().start

    @property
    def start_at(self) -> datetime:
        """Midnight UTC on the first day, as an aware datetime (for comparing with stored timestamps)."""
        return datetime.combine(self.start, datetime.min.time(), tzinfo=UTC)

    @property
    def end_at(self) -> datetime:
        """Midnight UTC on the first day of the next quarter (exclusive)."""
        return self.next().start_at

    def next(self) -> Quarter:
        return Quarter(self.year + 1, 1) if self.number == 4 else Quarter(self.year, self.number + 1)

    def previous(self) -> Quarter:
        return Quarter(self.year - 1, 4) if self.number == 1 else Quarter(self.year, self.number - 1)

    def contains(self, moment: date | datetime) -> bool:
        return quarter_of(moment) == self


def quarter_of(moment: date | datetime) -> Quarter:
    """The quarter a date or datetime falls in (aware datetimes are converted to UTC first)."""
    if isinstance(moment, datetime):
        moment = (moment.astimezone(UTC) if moment.tzinfo is not None else moment).date()
    return Quarter(moment.year, (moment.month - 1) // 3 + 1)


def current_quarter(now: datetime | None = None) -> Quarter:
    """The calendar quarter of `now` in UTC (check-in rounds use `schedule.current_period`, which opens early)."""
    return quarter_of(now or datetime.now(UTC))


def parse_quarter(text: str) -> Quarter:
    """`2026-Q4` (also `2026Q4`, `2026 q4`) -> Quarter; anything else raises QuarterError with an example."""
    match = _LABEL.match(text or "")
    if match is None:
        shown = (text or "").strip()[:40] or "nothing"
        raise QuarterError(f"“{shown}” isn't a quarter; write it like 2026-Q4")
    return Quarter(int(match.group(1)), int(match.group(2)))


def quarters_between(first: Quarter, last: Quarter) -> list[Quarter]:
    """Every quarter from `first` to `last`, both included (empty when last < first)."""
    found: list[Quarter] = []
    current = first
    while current <= last:
        found.append(current)
        current = current.next()
    return found


@dataclass(frozen=True)
class Period:
    """One quarter or a run of consecutive quarters a report covers."""

    first: Quarter
    last: Quarter

    def __post_init__(self) -> None:
        if self.last < self.first:
            raise QuarterError(f"{self.first} comes after {self.last}; write the earlier quarter first")

    @classmethod
    def single(cls, quarter: Quarter) -> Period:
        return cls(quarter, quarter)

    @property
    def quarters(self) -> list[Quarter]:
        return quarters_between(self.first, self.last)

    @property
    def labels(self) -> list[str]:
        return [q.label for q in self.quarters]

    @property
    def label(self) -> str:
        return self.first.label if self.first == self.last else f"{self.first.label}..{self.last.label}"

    @property
    def slug(self) -> str:
        """For file names: `2026-Q4` or `2026-Q1_to_2026-Q4`."""
        return self.first.label if self.first == self.last else f"{self.first.label}_to_{self.last.label}"

    @property
    def start_at(self) -> datetime:
        return self.first.start_at

    @property
    def end_at(self) -> datetime:
        return self.last.end_at

    def previous(self) -> Period:
        """The period of the same length just before this one (for a single quarter: the previous quarter)."""
        length = len(self.quarters)
        last = self.first.previous()
        first = last
        for _ in range(length - 1):
            first = first.previous()
        return Period(first, last)

    def __iter__(self) -> Iterator[Quarter]:
        return iter(self.quarters)

    def __str__(self) -> str:
        return self.label


def parse_period(text: str) -> Period:
    """`2026-Q4` or a range `2026-Q1..2026-Q4` (also `2026-Q1–2026-Q4`, `2026-Q1 to 2026-Q4`, `2026-Q1:2026-Q4`)."""
    cleaned = (text or "").strip()
    for separator in _SPAN_SEPARATORS:
        if separator in cleaned:
            left, _, right = cleaned.partition(separator)
            return Period(parse_quarter(left), parse_quarter(right))
    # A plain hyphen separates year and quarter, so only accept it between two full labels.
    span = re.match(r"^(\d{4}\s*-?\s*[Qq]\s*[1-4])\s*-\s*(\d{4}\s*-?\s*[Qq]\s*[1-4])$", cleaned)
    if span:
        return Period(parse_quarter(span.group(1)), parse_quarter(span.group(2)))
    return Period.single(parse_quarter(cleaned))
