"""The check-in fan-out finds Slack's pace by itself: against the stand-in, with 429 storms and a limit that
changes in the middle of a round. Counts events (429s, posts, the pacer's estimate), never seconds."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from bot.blocks.checkins import build_checkin_message
from bot.clock import jobs
from bot.clock.fanout import Fanout
from bot.services.outbox import Outgoing
from tests.bot.checkins_world import TEAM, CheckinWorld, checkin_world, roster_entries


def assert_everyone_once(world: CheckinWorld) -> None:
    invites = world.dms("invite")
    assert sorted(invites) == sorted(world.reps) and set(invites.values()) == {1}


def test_without_a_ceiling_the_fanout_learns_a_limit_that_drops_mid_round(sessions: sessionmaker[Session]) -> None:
    with checkin_world(sessions, roster_entries(160), slack_post_rate=None, slack_post_start_rate=40.0) as world:
        world.standin.rate_limit("chat.postMessage", 400, burst=5, retry_after_precision=0.01, team_id=TEAM)
        ctx = world.context()
        info, _ = ctx.checkins.open_round(TEAM, "2026-Q4")
        jobs.assign_missing(ctx, TEAM, info.id)
        built = 0

        def message(item: Outgoing) -> dict[str, Any]:
            nonlocal built
            built += 1
            if built == 60:  # Slack tightens a third of the way through the round
                world.standin.rate_limit("chat.postMessage", 60, burst=5, retry_after_precision=0.01, team_id=TEAM)
            return build_checkin_message(item)

        pacer = ctx.pacer(TEAM)
        items = ctx.checkins.invites_due(TEAM, info.id, now_for_everyone=True)
        report = Fanout(ctx.slack.for_team(TEAM), ctx.outbox_for(TEAM), message, pacer=pacer).run(items)

        assert report.sent == 160 and not report.failed
        assert_everyone_once(world)
        state = pacer.state()
        assert report.rate_limited == state.limited >= 1, "Slack said 'too fast' and the pacer heard it"
        # It heard the drop from 400/s to 60/s: the estimate came down to Slack's new limit or below. How far below
        # depends on how fast this machine can send at the time (a busy CI), so only the upper side is exact.
        assert state.estimate is not None and 0 < state.estimate <= 90, f"learnt the drop to 60/s: {state}"
        refused = [c for c in world.standin.calls("chat.postMessage") if c.status == 429]
        assert len(refused) == report.rate_limited, "every 429 was obeyed and the message retried, none lost"


def test_a_429_storm_is_waited_out_and_the_pace_recovers(sessions: sessionmaker[Session]) -> None:
    with checkin_world(sessions, roster_entries(60), slack_post_rate=None, slack_post_start_rate=100.0) as world:
        world.standin.fail("chat.postMessage", status=429, retry_after=0.05, times=40)
        ctx = world.context()
        report = jobs.open_round(ctx, TEAM, "2026-Q4").report
        assert report.sent == 60 and not report.failed
        assert report.rate_limited >= 40
        assert_everyone_once(world)
        state = ctx.pacer(TEAM).state()
        assert state.limited == report.rate_limited and state.accepted == 60


def test_slack_post_rate_is_only_a_ceiling(sessions: sessionmaker[Session]) -> None:
    with checkin_world(sessions, roster_entries(40), slack_post_rate=50.0, slack_post_start_rate=500.0) as world:
        world.standin.rate_limit("chat.postMessage", 1000, burst=5, retry_after_precision=0.01, team_id=TEAM)
        ctx = world.context()
        report = jobs.open_round(ctx, TEAM, "2026-Q4").report
        assert report.sent == 40 and report.rate_limited == 0
        assert ctx.pacer(TEAM).rate == 50.0, "it started at 500/s but never went past the ceiling"
