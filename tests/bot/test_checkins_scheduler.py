"""The clock, with a fixed clock: who is messaged when, across the date line, after downtime, with two clocks."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from bot.clock import jobs
from bot.clock.context import ClockContext
from persona_store.db import make_engine
from persona_store.roster import import_roster
from persona_store.roster_file import RosterEntry
from tests.bot.checkins_world import TEAM, CheckinWorld, checkin_world

REPS = [
    RosterEntry("U0AKL", "Aroha", "onboarding", False, "Pacific/Auckland"),
    RosterEntry("U0HNL", "Kai", "sales", False, "Pacific/Honolulu"),
    RosterEntry("U0BER", "Jonas", "sales", False, "Europe/Berlin"),
    RosterEntry("U0NYC", "Alex", "success", False, "America/New_York"),
    RosterEntry("U0TYO", "Yuki", "success", False, None),  # the zone comes from Slack
]
SLACK_ZONES = {"U0TYO": "Asia/Tokyo"}
MANAGER = RosterEntry("U0MGR", "Mo", "onboarding", True, "Pacific/Auckland")  # never asked; gets the summary


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def tick(world: CheckinWorld, when: datetime) -> None:
    world.clock.set(when)
    jobs.reconcile(world.context())


def test_a_quarter_round_follows_each_reps_own_morning(sessions: sessionmaker[Session]) -> None:
    with checkin_world(sessions, [*REPS, MANAGER], slack_zones=SLACK_ZONES) as world:
        tick(world, utc(2026, 9, 30, 9, 0))
        assert world.service.status(TEAM) is None, "Q4 hasn't begun anywhere yet"
        tick(world, utc(2026, 9, 30, 10, 0))
        status = world.service.status(TEAM)
        assert status is not None and status.round.quarter == "2026-Q4" and status.total.asked == 5
        assert not world.dms()

        tick(world, utc(2026, 9, 30, 21, 0))  # 10:00 on 1 October in Auckland
        assert set(world.dms()) == {"U0AKL"}
        tick(world, utc(2026, 10, 1, 1, 0))  # 10:00 in Tokyo (zone from users.info)
        assert set(world.dms()) == {"U0AKL", "U0TYO"}
        tick(world, utc(2026, 10, 1, 8, 0))  # 10:00 CEST
        tick(world, utc(2026, 10, 1, 13, 59))
        assert "U0NYC" not in world.dms()
        tick(world, utc(2026, 10, 1, 14, 0))  # 10:00 EDT
        tick(world, utc(2026, 10, 1, 20, 0))  # 10:00 HST: the last zone, a day after Auckland
        assert set(world.dms("invite")) == {r.slack_user_id for r in REPS}
        assert set(world.dms().values()) == {1}

        # Day 3 is a Saturday: the first reminder waits for Monday morning in each zone.
        tick(world, utc(2026, 10, 3, 21, 0))
        assert not world.dms("reminder")
        tick(world, utc(2026, 10, 4, 21, 0))  # Monday 10:00 in Auckland
        assert set(world.dms("reminder")) == {"U0AKL"}
        info = world.service.current_round(TEAM)
        assert info is not None
        world.service.skip(TEAM, info.id, "U0HNL", "on_leave")
        tick(world, utc(2026, 10, 5, 20, 0))
        assert set(world.dms("reminder")) == {"U0AKL", "U0TYO", "U0BER", "U0NYC"}, "the skipped rep is left alone"

        tick(world, utc(2026, 10, 15, 9, 59))
        assert world.service.current_round(TEAM).status == "open"  # type: ignore[union-attr]
        tick(world, utc(2026, 10, 15, 10, 0))  # midnight in Honolulu: the due date is over everywhere
        assert world.service.current_round(TEAM).status == "closed"  # type: ignore[union-attr]
        summaries = [c for c in world.standin.calls("chat.postMessage") if "results" in str(c.params.get("text"))]
        assert [c.params["channel"] for c in summaries] == ["U0MGR"], "managers are DMed when there's no channel"
        tick(world, utc(2026, 10, 15, 12, 0))
        tick(world, utc(2026, 10, 20, 12, 0))
        assert len([c for c in world.standin.calls("chat.postMessage") if "results" in str(c.params.get("text"))]) == 1


def test_after_downtime_the_clock_catches_up_once_and_spaces_reminders(sessions: sessionmaker[Session]) -> None:
    with checkin_world(sessions, REPS, slack_zones=SLACK_ZONES) as world:
        tick(world, utc(2026, 9, 29, 12, 0))
        tick(world, utc(2026, 10, 8, 12, 0))  # back after a week: everyone's invitation and two reminder days passed
        assert set(world.dms("invite")) == {r.slack_user_id for r in REPS}
        assert not world.dms("reminder"), "a reminder right after the invitation would be noise"
        tick(world, utc(2026, 10, 8, 12, 5))
        assert sum(world.dms().values()) == 5
        tick(world, utc(2026, 10, 9, 12, 30))
        assert set(world.dms("reminder").values()) == {1}
        tick(world, utc(2026, 10, 10, 13, 0))
        assert set(world.dms("reminder").values()) == {2}
        tick(world, utc(2026, 10, 12, 13, 0))
        assert set(world.dms("reminder").values()) == {2}, "capped at CHECKIN_MAX_REMINDERS"


def test_a_clock_down_for_a_whole_round_does_not_open_it_late(sessions: sessionmaker[Session]) -> None:
    with checkin_world(sessions, REPS, slack_zones=SLACK_ZONES) as world:
        tick(world, utc(2026, 10, 20, 12, 0))
        assert world.service.status(TEAM) is None
        assert not world.dms()


def test_two_clocks_ticking_together_message_nobody_twice(sessions: sessionmaker[Session]) -> None:
    with checkin_world(sessions, REPS, slack_zones=SLACK_ZONES) as world:
        world.clock.set(utc(2026, 10, 2, 12, 0))
        barrier = threading.Barrier(2)
        errors: list[BaseException] = []

        def clock() -> None:
            try:
                barrier.wait()
                jobs.reconcile(world.context())
            except BaseException as error:  # re-raised below through the assertion
                errors.append(error)

        threads = [threading.Thread(target=clock) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        assert not errors
        jobs.reconcile(world.context())
        assert set(world.dms("invite")) == {r.slack_user_id for r in REPS}
        assert set(world.dms().values()) == {1}


def test_the_scheduler_job_is_stable_coalesced_and_generous_about_misfires(sessions: sessionmaker[Session]) -> None:
    with checkin_world(sessions, REPS[:1], scheduler_tick_seconds=90) as world:
        scheduler = jobs.build_scheduler(world.context(), blocking=False)
        (job,) = scheduler.get_jobs()
        assert job.id == jobs.RECONCILE_JOB_ID
        assert job.coalesce is True and job.max_instances == 1
        assert job.misfire_grace_time >= 3600
        now = utc(2026, 10, 1, 12, 0)
        assert job.trigger.get_next_fire_time(now, now + timedelta(seconds=1)) == now + timedelta(seconds=90)


def test_a_clock_on_postgresql_waits_the_join_window_before_its_first_tick(sessions: sessionmaker[Session]) -> None:
    # Clocks a deploy restarts together must all be counted before the first of them takes its share.
    with checkin_world(sessions, REPS[:1]) as world:
        ctx = world.context()
        now = utc(2026, 10, 1, 12, 0)
        ctx.engine = make_engine("sqlite://")
        assert jobs.first_tick_at(ctx, now) == now, "SQLite runs one clock: nobody to wait for"
        ctx.engine = make_engine("postgresql+psycopg://nobody@127.0.0.1:1/none")  # never connected
        first = jobs.first_tick_at(ctx, now)
        assert now < first <= now + timedelta(seconds=5), "PostgreSQL: a short wait for the others, once per start"


def test_other_features_add_reconcile_steps(sessions: sessionmaker[Session]) -> None:
    seen: list[str] = []

    def count(ctx: ClockContext, team_id: str) -> None:
        seen.append(team_id)

    def broken(ctx: ClockContext, team_id: str) -> None:
        raise RuntimeError("a broken step")

    with checkin_world(sessions, REPS[:1]) as world:
        ctx = world.context()
        ctx.steps = (*ctx.steps, broken, count)
        jobs.reconcile(ctx)
        assert seen == [TEAM], "a failing step doesn't stop the next one"


def test_remind_me_tomorrow_holds_the_schedule_and_comes_back_once(sessions: sessionmaker[Session]) -> None:
    with checkin_world(sessions, REPS, slack_zones=SLACK_ZONES) as world:
        tick(world, utc(2026, 10, 2, 12, 0))
        info = world.service.current_round(TEAM)
        assert info is not None
        when = world.service.snooze(TEAM, info.id, "U0BER")  # Friday afternoon in Berlin
        assert when == utc(2026, 10, 5, 8, 0), "Monday 10:00 in Berlin"
        tick(world, utc(2026, 10, 4, 21, 0))
        tick(world, utc(2026, 10, 5, 7, 59))
        assert "U0BER" not in world.dms("reminder")
        tick(world, utc(2026, 10, 5, 8, 0))
        tick(world, utc(2026, 10, 5, 8, 5))
        assert world.dms("reminder")["U0BER"] == 1, "the snoozed reminder, once"
        tick(world, utc(2026, 10, 5, 20, 0))
        assert world.dms("reminder")["U0BER"] == 1, "the day's scheduled reminder keeps its spacing"


def test_a_rep_taken_off_the_roster_before_their_morning_is_not_asked(sessions: sessionmaker[Session]) -> None:
    with checkin_world(sessions, REPS, slack_zones=SLACK_ZONES) as world:
        tick(world, utc(2026, 9, 30, 10, 0))
        with world.sessions.begin() as s:
            import_roster(s, world.workspace_id, [r for r in REPS if r.slack_user_id != "U0HNL"], replace=True)
        tick(world, utc(2026, 10, 1, 20, 0))
        assert "U0HNL" not in world.dms()
        assert set(world.dms()) == {"U0AKL", "U0BER", "U0NYC", "U0TYO"}
