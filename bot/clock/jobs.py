"""The clock (`persona-bot scheduler`) and the check-in jobs the CLI shares with it.

The clock is one APScheduler job with a stable id: a tick every SCHEDULER_TICK_SECONDS that hands every workspace
this process has a token for to a bounded pool (`WorkspaceRunner`, SCHEDULER_PARALLEL_WORKSPACES at once), where
`reconcile_workspace` reads the database and does whatever is due and not done. The tick returns at once; a
workspace still in hand from an earlier tick is skipped, so a slow, rate-limited or broken workspace never delays
another. Downtime, restarts and a doubled clock are harmless: the next tick catches up from the tables, and the
effect ledger (see `bot.clock.fanout`) decides who sends. On PostgreSQL a session advisory lock per workspace
lets several clocks share the workspaces (each skips one another clock is working on); on SQLite exactly one
clock runs (`persona_store.locks.clock_lock`).

The steps (`fn(ctx, team_id)`: check-ins here, reviews in `bot.clock.reviews`, the roster in `bot.clock.roster`)
are passed in by the composition root in `ClockContext.steps`; they run in order, and one failing step is logged
and does not stop the others.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import math
import os
import random
import signal
import socket
import threading
import zlib
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

from slack_sdk import WebClient
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from bot.blocks.checkins import build_checkin_message, build_summary
from bot.clock.context import ClockContext
from bot.clock.fanout import DeliveryReport, Fanout, Message, resolve_assignments
from bot.clock.summary_chart import chart_item, summary_chart, upload_chart
from bot.services.checkins import RoundInfo
from bot.services.outbox import OutboxService, Outgoing
from bot.services.reports import Report
from bot.slack.calls import open_dm
from bot.slack.clients import SlackUnavailable
from bot.slack.delivery import DeliveryAborted, Policy, Result, deliver_once
from bot.slack.uploads import upload_report
from persona_store.clock import record_tick
from persona_store.db import make_session_factory
from persona_store.locks import live_clocks, workspace_locks

log = logging.getLogger("persona_bot.jobs")

RECONCILE_JOB_ID = "persona_bot.reconcile"
MISFIRE_GRACE_SECONDS = 6 * 3600
# A stopping clock (SIGTERM: a deploy, a restart) lets the workspaces in hand finish for this long, then exits anyway:
# a step waiting on Slack (a slow or unreachable API, retried by slack-sdk) must not keep it alive until the
# platform's SIGKILL. Whatever was cut short is resumed by the next clock from the ledger, exactly once.
STOP_GRACE_SECONDS = 5.0
SUMMARY_CATCH_UP = timedelta(days=7)


@dataclass
class OpenResult:
    round: RoundInfo
    created: bool
    assigned: int
    report: DeliveryReport


@dataclass
class CloseResult:
    round: RoundInfo
    closed_now: bool
    report: DeliveryReport = field(default_factory=DeliveryReport)


def _fanout(ctx: ClockContext, team_id: str, items: list[Outgoing], message: Message | None = None) -> DeliveryReport:
    """The workspace's fan-out of `items`: check-in DMs, or `message` (a summary) one at a time."""
    if not items:
        return DeliveryReport()
    workers = ctx.settings.checkin_send_workers if message is None else 1
    if message is None:
        message = functools.partial(build_checkin_message, reminder_limit=ctx.checkins.reminder_cap(team_id))
    client, pacer = ctx.slack.for_team(team_id), ctx.pacer(team_id)
    return Fanout(client, ctx.outbox_for(team_id), message, workers=workers, sleep=ctx.sleep, pacer=pacer).run(items)


def assign_missing(ctx: ClockContext, team_id: str, round_id: int) -> int:
    """Put active roster members who aren't on the round yet on it, with their zone and reachability."""
    members = ctx.checkins.unassigned(team_id, round_id)
    if not members:
        return 0
    assignments = resolve_assignments(ctx.slack.for_team(team_id), members, ctx.settings.default_timezone)
    return ctx.checkins.assign(team_id, round_id, assignments)


def open_round(ctx: ClockContext, team_id: str, quarter: str | None = None, due: date | None = None) -> OpenResult:
    """`checkin open`: open or resume the round and DM, now, every rep who hasn't had it yet."""
    info, created = ctx.checkins.open_round(team_id, quarter, due)
    assigned = assign_missing(ctx, team_id, info.id)
    report = _fanout(ctx, team_id, ctx.checkins.invites_due(team_id, info.id, now_for_everyone=True))
    return OpenResult(info, created, assigned, report)


def remind(ctx: ClockContext, team_id: str) -> tuple[RoundInfo | None, DeliveryReport]:
    """`checkin remind`: remind reps who neither answered nor skipped (within the cap and the spacing)."""
    info = next(iter(reversed(ctx.checkins.open_rounds(team_id))), None)
    if info is None:
        return None, DeliveryReport()
    return info, _fanout(ctx, team_id, ctx.checkins.reminders_due(team_id, info.id, scheduled=False))


def send_summary(ctx: ClockContext, team_id: str, round_id: int) -> DeliveryReport:
    """Post the round's summary to REPORT_CHANNEL or each manager, once per target (ledger keys), and attach the
    quarter's workbook under it (once per target too) when the report service is wired in."""
    targets = ctx.checkins.summary_targets(team_id, round_id)
    keys = [t.key for t in targets] + [chart_item(t).key for t in targets]
    keys += [_workbook_item(t).key for t in targets] if ctx.reports is not None else []
    outbox = ctx.outbox_for(team_id)
    undone = outbox.undone(keys) if targets else set()
    if not undone:
        return DeliveryReport()  # every summary, chart and workbook is out: the usual case on the clock's later ticks
    summary = ctx.checkins.summary(team_id, round_id)
    if summary is None:
        return DeliveryReport()
    workbook = _workbook(ctx, team_id, summary.status.round.quarter[:7], targets)  # a 2026-Q4.02 round: its quarter
    content = build_summary(summary, with_report=workbook is not None)
    report = _fanout(ctx, team_id, targets, lambda item: {"channel": item.user_id, **content})
    client, quarter = ctx.slack.for_team(team_id), summary.status.round.quarter
    charts = [chart_item(t) for t in targets if chart_item(t).key in undone]
    chart = summary_chart(summary) if charts else None  # drawn only while a target still waits for it
    for item in charts:  # the fit-by-role chart under the summary, once per target
        if chart is None:
            outbox.record(item, "empty")  # nothing to draw, ever: later ticks skip it
        else:
            _attach(outbox, client, item, lambda c, to: upload_chart(c, to, chart, quarter), report)
    if workbook is not None:
        for target in targets:
            _attach(outbox, client, _workbook_item(target), lambda c, to: upload_report(c, to, workbook), report)
    return report


def _workbook_item(target: Outgoing) -> Outgoing:
    return replace(target, key=target.key.replace(":summary:", ":workbook:"), kind="workbook")


def _workbook(ctx: ClockContext, team_id: str, quarter: str, targets: list[Outgoing]) -> Report | None:
    if ctx.reports is None:
        return None
    try:
        built = ctx.reports.build(team_id, quarter)
    except Exception:  # the summary still goes out; the workbook is retried next tick, and `/persona report` works
        log.exception("could not build the workbook for the check-in summary", extra={"team_id": team_id})
        return None
    if built.empty:
        outbox = ctx.outbox_for(team_id)
        for target in targets:  # nothing to attach, ever: record that, so later ticks don't rebuild it
            outbox.record(_workbook_item(target), "empty")
        return None
    return built


def _attach(
    outbox: OutboxService,
    client: WebClient,
    item: Outgoing,
    send: Callable[[WebClient, str], None],
    report: DeliveryReport,
) -> None:
    """A file under the summary (its chart, its workbook), once per target, through the one sender."""

    def upload(client: WebClient, message: dict[str, Any]) -> tuple[str | None, str | None]:
        send(client, open_dm(client, str(message["channel"])))
        return None, None

    # An upload carries no metadata to look for: a send whose outcome is unknown is released and made again.
    policy: Policy[Outgoing] = Policy(lambda item: {"channel": item.user_id}, upload, looks=False)
    try:
        done = deliver_once(client, outbox, item, policy)
    except DeliveryAborted as error:  # the summary is out; the next tick tries the file again
        report.failed.append((item.user_id, f"{item.kind}: {error}"))
        return
    if done.result is Result.RETRY_LATER:
        report.failed.append((item.user_id, f"{item.kind}: {done.reason}"))


def close_round(ctx: ClockContext, team_id: str, quarter: str | None = None) -> CloseResult | None:
    """`checkin close`: close the round (late answers are then turned away politely) and post the summary."""
    info = ctx.checkins.find_round(team_id, quarter) if quarter else ctx.checkins.current_round(team_id)
    if info is None:
        return None
    closed_now = ctx.checkins.close(team_id, info.id)
    report = send_summary(ctx, team_id, info.id)
    refreshed = ctx.checkins.find_round(team_id, info.quarter) or info
    return CloseResult(refreshed, closed_now, report)


# --- the clock ------------------------------------------------------------------------------------------------


def reconcile_checkins(ctx: ClockContext, team_id: str) -> None:
    """Open this quarter's round when due, DM reps whose local morning has come, remind, snooze, close."""
    ctx.checkins.scheduled_round(team_id)
    for info in ctx.checkins.open_rounds(team_id):
        if ctx.checkins.close_due(team_id, info.id):
            close_round(ctx, team_id, info.quarter)
            continue
        assign_missing(ctx, team_id, info.id)
        for items in (
            ctx.checkins.invites_due(team_id, info.id, now_for_everyone=False),
            ctx.checkins.reminders_due(team_id, info.id, scheduled=True),
            ctx.checkins.snoozes_due(team_id, info.id),
        ):
            report = _fanout(ctx, team_id, items)
            if report.sent or report.unreachable or report.failed:
                log.info(
                    "check-in messages sent",
                    extra={
                        "team_id": team_id,
                        "quarter": info.quarter,
                        "sent": report.sent,
                        "unreachable": len(report.unreachable),
                        "failed": len(report.failed),
                    },
                )
    for info in ctx.checkins.recently_closed(team_id, SUMMARY_CATCH_UP):
        send_summary(ctx, team_id, info.id)  # a no-op once every target has it


@contextlib.contextmanager
def workspace_lock(engine: Engine | None, team_id: str) -> Iterator[bool]:
    """On PostgreSQL, a session advisory lock per workspace (False: another clock holds it). Elsewhere True.

    Every workspace lock of this clock lives on one autocommit connection of its own (`workspace_locks`), so no
    transaction stays open while jobs call Slack and the clock's connections don't grow with the workspaces in hand.
    """
    if engine is None or engine.dialect.name != "postgresql":
        yield True
        return
    key = zlib.crc32(f"persona-bot:reconcile:{team_id}".encode())
    locks = workspace_locks(engine)
    got = locks.try_acquire(key)
    try:
        yield got
    finally:
        if got:
            locks.release(key)


def reconcile_workspace(ctx: ClockContext, team_id: str) -> bool:
    """Every step of the context for one workspace, under its lock; False when another clock holds it."""
    with workspace_lock(ctx.engine, team_id) as mine:
        if not mine:
            log.info("another clock is reconciling this workspace; skipping", extra={"team_id": team_id})
            return False
        for step in ctx.steps:
            try:
                step(ctx, team_id)
            except Exception:  # one broken step must not stop the clock; it is logged with its traceback
                log.exception("reconcile step failed", extra={"team_id": team_id, "step": step.__name__})
    return True


@dataclass
class Tick:
    """One tick: the workspaces it hands to the pool (in a random order), those skipped as still in hand from an
    earlier tick, and, as they finish, each workspace's outcome (True: reconciled; False: another clock had it, or
    it failed and was logged)."""

    queued: list[str] = field(default_factory=list)
    still_running: list[str] = field(default_factory=list)
    _futures: list[Future[None]] = field(default_factory=list, repr=False)
    _outcomes: dict[str, bool] = field(default_factory=dict, repr=False)
    _finished: threading.Condition = field(default_factory=threading.Condition, repr=False)

    def wait(self) -> None:
        for future in self._futures:
            future.result()

    def outcome(self, team_id: str, timeout: float | None = None) -> bool | None:
        """Wait for `team_id` to finish (None: not within `timeout`)."""
        with self._finished:
            self._finished.wait_for(lambda: team_id in self._outcomes, timeout)
            return self._outcomes.get(team_id)

    def _record(self, team_id: str, outcome: bool) -> None:
        with self._finished:
            self._outcomes[team_id] = outcome
            self._finished.notify_all()


class WorkspaceRunner:
    """The clock's workspaces on a bounded pool (SCHEDULER_PARALLEL_WORKSPACES): several at once, each within its
    own Slack limits (its own pacers), none waiting for another.

    `tick()` never waits for a fan-out. It puts the workspaces not already in hand in a queue, in a random order, and
    starts up to the pool's size of drains on it; each drain takes the next workspace, reconciles it (or skips it at
    once when another clock holds its lock) and takes the next, until the queue is empty. With several clocks on
    PostgreSQL each runs at most its fair share at once (the workspaces over the live clocks), so a clock that
    starts a little later still finds work, and a clock whose workspaces are done helps with the rest.
    """

    def __init__(self, ctx: ClockContext, workers: int | None = None) -> None:
        self._ctx = ctx
        self._workers = workers or ctx.settings.scheduler_parallel_workspaces
        self._pool = ThreadPoolExecutor(max_workers=self._workers, thread_name_prefix="workspace")
        self._busy: set[str] = set()
        self._draining = 0
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self._stopping = False

    def busy(self) -> set[str]:
        with self._lock:
            return set(self._busy)

    def tick(self) -> Tick:
        record_clock_tick(self._ctx.engine)  # `persona-bot doctor` tells a stopped clock by it
        tick = Tick()
        try:
            teams = self._ctx.slack.team_ids()
        except SlackUnavailable as error:
            log.warning("no Slack workspace to reconcile: %s", error)
            return tick
        clocks = live_clocks(self._ctx.engine) if self._ctx.engine is not None else 1
        share = max(1, math.ceil(len(teams) / max(1, clocks)))
        with self._lock:
            tick.still_running = sorted(t for t in teams if t in self._busy)
            # In no fixed order: clocks starting together then mostly pick different workspaces first.
            tick.queued = [t for t in random.sample(teams, len(teams)) if t not in self._busy]
            drains = max(0, min(self._workers, share) - self._draining, 0)
            drains = min(drains, len(tick.queued))
            self._draining += drains
        queue = deque(tick.queued)
        tick._futures = [self._pool.submit(self._drain, queue, tick) for _ in range(drains)]
        if tick.still_running:
            log.info("workspaces still in hand from an earlier tick", extra={"count": len(tick.still_running)})
        return tick

    def _next(self, queue: deque[str]) -> str | None:
        with self._lock:
            while queue and not self._stopping:
                team_id = queue.popleft()
                if team_id not in self._busy:
                    self._busy.add(team_id)
                    return team_id
            self._draining -= 1
            return None

    def _drain(self, queue: deque[str], tick: Tick) -> None:
        while (team_id := self._next(queue)) is not None:
            outcome = False
            try:
                outcome = reconcile_workspace(self._ctx, team_id)
            except Exception:  # e.g. the database went away mid-workspace: logged; the next tick tries again
                log.exception("reconciling a workspace failed", extra={"team_id": team_id})
            finally:
                with self._lock:
                    self._busy.discard(team_id)
                    self._idle.notify_all()
                tick._record(team_id, outcome)

    def shutdown(self, wait: bool = True) -> None:
        """Stop taking workspaces; with `wait`, until those in hand are done (else see `wait_idle`)."""
        with self._lock:
            self._stopping = not wait
        self._pool.shutdown(wait=wait, cancel_futures=not wait)

    def wait_idle(self, timeout: float) -> bool:
        """Wait up to `timeout` seconds for the workspaces in hand to finish; False if some still run."""
        with self._idle:
            return self._idle.wait_for(lambda: not self._busy, timeout)


def reconcile(ctx: ClockContext) -> None:
    """One tick, waited for: every step of the context, for every workspace this process can message, several
    workspaces at once (`persona-bot scheduler` doesn't wait: see `WorkspaceRunner`)."""
    runner = WorkspaceRunner(ctx)
    try:
        runner.tick().wait()
    finally:
        runner.shutdown()


def record_clock_tick(engine: Engine | None) -> None:
    """Note the tick in the database (`persona-bot doctor` tells a stopped clock by it); never stops the tick."""
    if engine is None:
        return
    try:
        with make_session_factory(engine).begin() as s:
            record_tick(s, datetime.now(UTC), host=socket.gethostname())
    except SQLAlchemyError as error:  # e.g. a database not migrated yet: the clock's real work goes on
        log.warning("could not record the clock tick: %s", type(error).__name__)


def reconcile_tick(runner: WorkspaceRunner) -> None:
    """The scheduler's job: hand every workspace not already in hand to the pool, and return at once."""
    runner.tick()


def first_tick_at(ctx: ClockContext, now: datetime) -> datetime:
    """When a starting clock ticks first: now alone (SQLite: one clock), after the join window where several
    clocks share the workspaces (PostgreSQL, SCHEDULER_JOIN_SECONDS): the clocks a deploy restarts together then
    register their presence before the first of them counts the live clocks. Otherwise the first to tick counts
    only itself, takes every workspace, and holds them for the round while the others find them all locked."""
    shared = ctx.engine is not None and ctx.engine.dialect.name == "postgresql"
    return now + timedelta(seconds=ctx.settings.scheduler_join_seconds) if shared else now


def build_scheduler(ctx: ClockContext, *, blocking: bool = True, runner: WorkspaceRunner | None = None) -> Any:
    """The APScheduler with the reconcile tick: stable id, coalesced, a generous misfire grace, first run at once
    (after the join window on PostgreSQL: `first_tick_at`).

    The tick only hands workspaces to `runner`'s pool, so it returns at once however long a fan-out takes."""
    from apscheduler.schedulers.background import BackgroundScheduler
    from apscheduler.schedulers.blocking import BlockingScheduler
    from apscheduler.triggers.interval import IntervalTrigger

    scheduler = (BlockingScheduler if blocking else BackgroundScheduler)(timezone=UTC)
    scheduler.add_job(
        reconcile_tick,
        IntervalTrigger(seconds=ctx.settings.scheduler_tick_seconds, timezone=UTC),
        args=[runner or WorkspaceRunner(ctx)],
        id=RECONCILE_JOB_ID,
        name="reconcile check-ins and reviews",
        coalesce=True,
        max_instances=1,
        misfire_grace_time=MISFIRE_GRACE_SECONDS,
        next_run_time=first_tick_at(ctx, datetime.now(UTC)),  # catch up on start-up
        replace_existing=True,
    )
    return scheduler


def run_scheduler(ctx: ClockContext) -> None:
    """Run the clock until SIGTERM/SIGINT (the platform stopping the dyno)."""
    runner = WorkspaceRunner(ctx)
    scheduler = build_scheduler(ctx, runner=runner)
    signal.signal(signal.SIGTERM, lambda *_: scheduler.shutdown(wait=False))
    log.info(
        "scheduler started",
        extra={
            "tick_seconds": ctx.settings.scheduler_tick_seconds,
            "parallel_workspaces": ctx.settings.scheduler_parallel_workspaces,
        },
    )
    with contextlib.suppress(KeyboardInterrupt, SystemExit):
        scheduler.start()
    runner.shutdown(wait=False)  # a fan-out cut short is resumed by the next clock, from the ledger
    if not runner.wait_idle(STOP_GRACE_SECONDS):
        # The pool's threads would be joined at exit, however long their Slack calls take: leave without them.
        # Every write is its own transaction and every claim is taken over from the ledger, as after a kill.
        log.warning(
            "scheduler stopped with workspaces still in hand; the next clock resumes them",
            extra={"workspaces": len(runner.busy()), "grace_seconds": STOP_GRACE_SECONDS},
        )
        logging.shutdown()
        os._exit(0)
    log.info("scheduler stopped")
