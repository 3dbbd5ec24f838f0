"""A resume that doesn't wait: claims left by a process that died are decided from the DM's history at once,
not after their lease; claims of a process that is still alive are left alone."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from bot.clock import jobs
from bot.clock.fanout import Fanout
from bot.services.outbox import OutboxService
from persona_store.locks import ClaimOwner
from tests.bot.checkins_world import TEAM, CheckinWorld, checkin_world, roster_entries
from tests.bot.test_checkins_fanout import Crash, CrashingOutbox, _message, assert_everyone_once, pending_effects

LONG_LEASE = 3600  # nothing below waits for it: the clock never moves


class OtherProcess(CrashingOutbox):
    """Another process's sender: its claims name `owner`, whose lock goes when the process does."""

    def __init__(self, base: OutboxService, owner: ClaimOwner, **crash: int) -> None:
        super().__init__(base, **crash)
        self.owner = owner

    def new_token(self, item: Any) -> str:
        return self.owner.token()


def crash_elsewhere(world: CheckinWorld, *, dies: bool = True, **crash: int) -> ClaimOwner:
    owner = ClaimOwner(world.engine)
    ctx = world.context(checkin_send_workers=1)
    info, _ = ctx.checkins.open_round(TEAM, "2026-Q4")
    jobs.assign_missing(ctx, TEAM, info.id)
    assert ctx.outbox is not None
    other = OtherProcess(ctx.outbox, owner, **crash).for_team(TEAM)
    items = ctx.checkins.invites_due(TEAM, info.id, now_for_everyone=True)
    with pytest.raises(Crash):
        Fanout(ctx.slack.for_team(TEAM), other, _message, rate=500, workers=1).run(items)
    if dies:
        owner.release()  # what the operating system does to a killed process's locks
    return owner


def test_a_claim_left_before_slack_is_decided_at_once_and_sent_once(sessions: sessionmaker[Session]) -> None:
    with checkin_world(sessions, roster_entries(12), checkin_claim_lease_seconds=LONG_LEASE) as world:
        crash_elsewhere(world, after_claims=5)  # the 6th claim is committed, then the process is killed
        assert len(world.dms("invite")) == 5 and len(pending_effects(world)) == 1
        report = jobs.open_round(world.context(), TEAM, "2026-Q4").report
        assert report.sent == 7 and report.already_done == 0 and report.recovered == 0
        (looked,) = world.standin.calls("conversations.history", team_id=TEAM)
        assert looked.params["channel"] == world.standin.dm_channel_id(world.reps[5]), "it looked before resending"
        assert_everyone_once(world, world.reps)
        assert not pending_effects(world)


def test_a_message_slack_took_before_the_crash_is_found_and_recorded_at_once(sessions: sessionmaker[Session]) -> None:
    with checkin_world(sessions, roster_entries(12), checkin_claim_lease_seconds=LONG_LEASE) as world:
        crash_elsewhere(world, after_sends=5)  # Slack accepted the 6th DM; the process died before recording it
        assert len(world.dms("invite")) == 6
        report = jobs.open_round(world.context(), TEAM, "2026-Q4").report
        assert report.recovered == 1 and report.sent == 6
        assert_everyone_once(world, world.reps)
        assert not pending_effects(world)


def test_claims_of_a_process_still_alive_are_left_to_it(sessions: sessionmaker[Session]) -> None:
    with checkin_world(sessions, roster_entries(8), checkin_claim_lease_seconds=LONG_LEASE) as world:
        owner = crash_elsewhere(world, dies=False, after_claims=3)  # its sender stalled; the process lives on
        try:
            report = jobs.open_round(world.context(), TEAM, "2026-Q4").report
            assert report.already_done == 1 and report.sent == 4
            assert world.standin.calls("conversations.history") == []
            assert len(pending_effects(world)) == 1, "still its own"
        finally:
            owner.release()
        resumed = jobs.open_round(world.context(), TEAM, "2026-Q4").report
        assert resumed.sent == 1, "once it is gone, the next run takes it over at once"
        assert_everyone_once(world, world.reps)
