"""The clock works on several workspaces at once: a slow, rate-limited or broken one never delays the others, and
the scheduler's tick never waits for a fan-out. Asserted by order and counts, not seconds."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker

from bot.cli.root import CLOCK_STEPS
from bot.clock import jobs
from bot.clock.context import ClockContext
from bot.config import Settings
from bot.services.checkins import CheckinService
from bot.slack.oauth import InstalledSlackClients
from slack_standin import SlackStandin
from tests.e2e.clocks import Workspace, duplicates_and_misses, seed_workspaces, sent_dms


@dataclass
class Teams:
    standin: SlackStandin
    workspaces: list[Workspace]
    ctx: ClockContext

    def sent(self, workspace: Workspace) -> int:
        return len(sent_dms(self.standin, self.workspaces)[workspace.team_id])


@contextmanager
def teams(sessions: sessionmaker[Session], count: int, reps: int) -> Iterator[Teams]:
    engine = sessions.kw["bind"]
    with SlackStandin(team_id=None) as standin:
        url = engine.url.render_as_string(hide_password=False)
        workspaces = seed_workspaces(url, standin, teams=count, reps=reps)
        settings = Settings.from_env({}).with_overrides(
            database_url=url,
            slack_api_url=standin.api_url,
            slack_client_id=standin.client_id,
            slack_client_secret=standin.client_secret,
            slack_post_start_rate=200.0,
            scheduler_parallel_workspaces=count,
        )
        clients = InstalledSlackClients(settings, sessions)
        ctx = ClockContext(settings, CheckinService(sessions, settings), clients, engine, steps=CLOCK_STEPS)
        yield Teams(standin, workspaces, ctx)


def test_a_slow_workspace_never_delays_the_others_and_the_tick_does_not_wait(sessions: sessionmaker[Session]) -> None:
    with teams(sessions, 3, reps=8) as world:
        slow, *fast = world.workspaces
        entered, release = threading.Event(), threading.Event()

        def stall(ctx: ClockContext, team_id: str) -> None:
            if team_id == slow.team_id:  # e.g. a huge roster, or Slack answering slowly there
                entered.set()
                assert release.wait(30)

        world.ctx.steps = (stall, *world.ctx.steps)
        runner = jobs.WorkspaceRunner(world.ctx)
        try:
            first = runner.tick()  # returns at once: the fan-outs run on the pool
            assert entered.wait(10)
            for w in fast:
                assert first.outcome(w.team_id, timeout=30) is True
            assert [world.sent(w) for w in fast] == [8, 8], "the others finished while the slow one was stuck"
            assert world.sent(slow) == 0 and first.outcome(slow.team_id, timeout=0) is None
            assert runner.busy() == {slow.team_id}

            second = runner.tick()
            assert second.still_running == [slow.team_id], "a workspace in hand is skipped, not queued twice"
            assert sorted(second.queued) == sorted(w.team_id for w in fast)
            second.wait()
            release.set()
            first.wait()
        finally:
            release.set()
            runner.shutdown()
        assert world.sent(slow) == 8
        assert duplicates_and_misses(world.standin, world.workspaces) == (0, 0)


def test_a_rate_limited_or_broken_workspace_never_delays_the_others(sessions: sessionmaker[Session]) -> None:
    with teams(sessions, 4, reps=10) as world:
        limited, broken, *fast = world.workspaces
        world.standin.rate_limit("chat.postMessage", 10, burst=1, retry_after_precision=0.01, team_id=limited.team_id)
        world.standin.revoke_token(broken.token)
        jobs.reconcile(world.ctx)

        posts = [c for c in world.standin.calls("chat.postMessage") if c.ok]
        order = [c.team_id for c in posts]
        last_fast = max(i for i, team in enumerate(order) if team in {w.team_id for w in fast})
        assert order[: last_fast + 1].count(limited.team_id) < 10, "the fast ones finished first"
        assert world.sent(limited) == 10 and [world.sent(w) for w in fast] == [10, 10]
        assert world.sent(broken) == 0, "Slack refused that one; the others went on"
        assert world.ctx.pacer(limited.team_id).state().limited >= 1
        assert world.ctx.pacer(fast[0].team_id).state().limited == 0, "budgets are per workspace"
