"""Quarter values: parsing what people type, UTC bounds, neighbours and ranges."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from persona_store.quarters import Period, Quarter, QuarterError, parse_period, parse_quarter, quarter_of


@pytest.mark.parametrize("text", ["2026-Q4", "2026Q4", "2026 q4", " 2026-q4 "])
def test_the_ways_people_write_a_quarter(text: str) -> None:
    assert parse_quarter(text) == Quarter(2026, 4)


@pytest.mark.parametrize("text", ["", "Q4", "2026-Q5", "2026-Q0", "last quarter", "=1+1", "2026-10"])
def test_unreadable_quarters_say_how_to_write_one(text: str) -> None:
    with pytest.raises(QuarterError, match="2026-Q4"):
        parse_quarter(text)


def test_bounds_and_neighbours_cross_year_ends() -> None:
    q4 = Quarter(2026, 4)
    assert (q4.start, q4.end) == (date(2026, 10, 1), date(2027, 1, 1))
    assert q4.start_at == datetime(2026, 10, 1, tzinfo=UTC)
    assert q4.next() == Quarter(2027, 1) and Quarter(2027, 1).previous() == q4
    assert Quarter(2026, 1).previous() == Quarter(2025, 4)


def test_quarter_of_uses_utc() -> None:
    # 23:30 on 31 Dec in New York is already 2027 in UTC.
    new_york = timezone(timedelta(hours=-5))
    assert quarter_of(datetime(2026, 12, 31, 23, 30, tzinfo=new_york)) == Quarter(2027, 1)
    assert quarter_of(date(2026, 3, 31)) == Quarter(2026, 1)


@pytest.mark.parametrize("text", ["2026-Q1..2026-Q4", "2026-Q1–2026-Q4", "2026-Q1 to 2026-Q4", "2026-Q1:2026-Q4"])
def test_ranges(text: str) -> None:
    period = parse_period(text)
    assert period.labels == ["2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4"]
    assert period.label == "2026-Q1..2026-Q4"
    assert period.slug == "2026-Q1_to_2026-Q4"
    assert period.previous() == Period(Quarter(2025, 1), Quarter(2025, 4))


def test_a_single_quarter_period_and_its_previous() -> None:
    period = parse_period("2026-Q1")
    assert period.label == "2026-Q1" and period.previous().label == "2025-Q4"


def test_backwards_range_is_refused() -> None:
    with pytest.raises(QuarterError, match="comes after"):
        parse_period("2026-Q4..2026-Q1")
