"""The check-in timetable: quarter boundaries, both sides of the date line, daylight-saving changes. No clocks."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from apscheduler.triggers.cron import CronTrigger

from persona_store.quarters import Quarter, parse_quarter, quarter_of
from persona_store.schedule import (
    RoundPlan,
    current_period,
    first_business_day,
    local_time_to_utc,
    next_local_morning,
)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def local(moment: datetime, zone: str) -> datetime:
    return moment.astimezone(ZoneInfo(zone))


@pytest.mark.parametrize(
    ("label", "first"),
    [
        ("2026-Q3", date(2026, 7, 1)),  # a Wednesday
        ("2026-Q4", date(2026, 10, 1)),  # a Thursday
        ("2027-Q1", date(2027, 1, 1)),  # a Friday
        ("2027-Q2", date(2027, 4, 1)),
        ("2028-Q1", date(2028, 1, 3)),  # 1 January is a Saturday: the Monday after
        ("2026-Q2", date(2026, 4, 1)),
        ("2029-Q3", date(2029, 7, 2)),  # 1 July is a Sunday
    ],
)
def test_day_one_is_the_quarters_first_business_day(label: str, first: date) -> None:
    assert first_business_day(label) == first
    assert RoundPlan.for_quarter(label).day_one == first
    assert RoundPlan.for_quarter(label).due_date == date.fromordinal(first.toordinal() + 13)


def test_quarter_labels_and_their_boundaries() -> None:
    assert quarter_of(date(2026, 12, 31)).label == "2026-Q4"
    assert quarter_of(date(2027, 1, 1)).label == "2027-Q1"
    assert quarter_of(date(2026, 3, 31)).label == "2026-Q1"
    assert quarter_of(date(2026, 4, 1)).label == "2026-Q2"
    assert parse_quarter(" 2026-q4 ") == Quarter(2026, 4)
    with pytest.raises(ValueError, match="2026-Q4"):
        parse_quarter("2026-Q5")
    # The new year has begun somewhere (UTC+14) ten hours before it begins in UTC.
    assert current_period(utc(2026, 12, 31, 9, 59), "quarterly")[0] == "2026-Q4"
    assert current_period(utc(2026, 12, 31, 10, 0), "quarterly")[0] == "2027-Q1"


def test_reps_on_both_sides_of_the_date_line_are_asked_at_ten_in_their_own_morning() -> None:
    plan = RoundPlan.for_quarter("2026-Q4")
    auckland = plan.invite_at("Pacific/Auckland")
    honolulu = plan.invite_at("Pacific/Honolulu")
    # Auckland (NZDT, UTC+13) reaches 1 October while UTC is still in September, in the previous quarter.
    assert auckland == utc(2026, 9, 30, 21, 0)
    assert honolulu == utc(2026, 10, 1, 20, 0)
    assert local(auckland, "Pacific/Auckland").timetuple()[:4] == (2026, 10, 1, 10)
    assert local(honolulu, "Pacific/Honolulu").timetuple()[:4] == (2026, 10, 1, 10)
    # The round exists before the earliest zone's morning, and the clock counts that moment as Q4.
    assert plan.opens_at() <= auckland
    assert current_period(auckland, "quarterly")[0] == "2026-Q4"
    # The round stays open until the due date is over in the last zone (Honolulu's midnight).
    assert plan.close_at(["Pacific/Auckland", "Pacific/Honolulu"]) == utc(2026, 10, 15, 10, 0)
    assert plan.close_at(["Pacific/Auckland"]) == utc(2026, 10, 15, 0, 0)  # UTC always takes part


def test_the_plan_agrees_with_apscheduler_cron_triggers() -> None:
    plan = RoundPlan.for_quarter("2026-Q4")
    for zone in ("Pacific/Auckland", "Pacific/Honolulu", "America/New_York", "Europe/Berlin"):
        trigger = CronTrigger(month="1,4,7,10", day=1, hour=10, timezone=ZoneInfo(zone))
        fire = trigger.get_next_fire_time(None, utc(2026, 8, 1))
        assert fire is not None
        assert fire.astimezone(UTC) == plan.invite_at(zone)


def test_reminders_on_a_weekend_roll_to_monday() -> None:
    plan = RoundPlan.for_quarter("2027-Q2")  # day one Thursday 1 April; day 3 is a Saturday
    assert local(plan.reminder_at(1, "America/New_York"), "America/New_York").date() == date(2027, 4, 5)
    assert local(plan.reminder_at(2, "America/New_York"), "America/New_York").date() == date(2027, 4, 7)


def test_autumn_daylight_saving_change_keeps_ten_oclock_local() -> None:
    # Day one Friday 23 Oct 2026; Berlin leaves summer time on 25 Oct, New York on 1 Nov.
    plan = RoundPlan(date(2026, 11, 5), open_hour=10, reminder_days=(3, 7, 11), close_day=14)
    assert plan.invite_at("Europe/Berlin") == utc(2026, 10, 23, 8, 0)  # CEST, UTC+2
    assert plan.reminder_at(1, "Europe/Berlin") == utc(2026, 10, 26, 9, 0)  # Sunday -> Monday, CET, UTC+1
    assert plan.reminder_at(2, "America/New_York") == utc(2026, 10, 29, 14, 0)  # EDT, UTC-4
    assert plan.reminder_at(3, "America/New_York") == utc(2026, 11, 2, 15, 0)  # EST, UTC-5
    for n, zone in ((1, "Europe/Berlin"), (2, "America/New_York"), (3, "America/New_York")):
        assert local(plan.reminder_at(n, zone), zone).hour == 10


def test_spring_daylight_saving_change_and_the_missing_hour() -> None:
    plan = RoundPlan(date(2026, 3, 12), open_hour=10, reminder_days=(3, 10), close_day=14)  # day one 27 Feb
    assert plan.invite_at("America/New_York") == utc(2026, 2, 27, 15, 0)  # EST
    assert plan.reminder_at(2, "America/New_York") == utc(2026, 3, 9, 14, 0)  # Sunday 8 March -> Monday, EDT
    # 02:30 on 8 March doesn't exist in New York: it is read with the old offset, i.e. 03:30 EDT.
    assert local_time_to_utc(date(2026, 3, 8), 2, "America/New_York") == utc(2026, 3, 8, 7, 0)


def test_reminders_due_counts_only_what_has_come_in_the_reps_zone() -> None:
    plan = RoundPlan.for_quarter("2026-Q4")  # day 3 = Sat 3 Oct -> Mon 5 Oct; day 7 = Wed 7 Oct
    assert plan.reminders_due("Pacific/Auckland", utc(2026, 10, 4, 20, 59)) == 0
    assert plan.reminders_due("Pacific/Auckland", utc(2026, 10, 4, 21, 0)) == 1  # Mon 10:00 NZDT
    assert plan.reminders_due("Pacific/Honolulu", utc(2026, 10, 4, 21, 0)) == 0
    assert plan.reminders_due("Pacific/Honolulu", utc(2026, 10, 7, 20, 0)) == 2


def test_remind_me_tomorrow_means_the_next_business_morning_in_the_reps_zone() -> None:
    friday_evening_berlin = utc(2026, 10, 2, 17, 0)
    assert next_local_morning(friday_evening_berlin, "Europe/Berlin", 10) == utc(2026, 10, 5, 8, 0)
    # In Auckland it is already Saturday morning: the next business morning is Monday there too.
    assert next_local_morning(friday_evening_berlin, "Pacific/Auckland", 10) == utc(2026, 10, 4, 21, 0)
