"""Real `persona-bot scheduler` processes: several share the workspaces on PostgreSQL, exactly one runs on SQLite."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from persona_store.db import make_engine, make_session_factory
from persona_store.roster import import_roster
from persona_store.roster_file import RosterEntry
from persona_store.workspaces import ensure_workspace
from slack_standin import SlackStandin
from tests.conftest import TEST_DATABASE_URL
from tests.e2e.clocks import (
    Workspace,
    WorkspaceLockWatch,
    all_sent,
    clock_env,
    duplicates_and_misses,
    fresh_database,
    seed_workspaces,
    sent_dms,
    start_clock,
)
from tests.e2e.harness import REPO_ROOT


@pytest.fixture
def standin() -> Iterator[SlackStandin]:
    with SlackStandin(team_id=None) as server:
        yield server


def add_rep(database: str, standin: SlackStandin, workspace: Workspace, user_id: str) -> None:
    engine = make_engine(database)
    with make_session_factory(engine).begin() as s:
        entries = [RosterEntry(r, r, "sales", False, "Europe/Berlin") for r in [*workspace.reps, user_id]]
        import_roster(s, ensure_workspace(s, workspace.team_id).id, entries)
    engine.dispose()
    standin.add_user(workspace.team_id, user_id, "Newcomer", tz="Europe/Berlin")


def stop(process: subprocess.Popen[bytes], sig: int = signal.SIGTERM) -> int:
    if process.poll() is None:
        os.killpg(process.pid, sig)
    return process.wait(20)


def run_clocks_until_all_sent(
    standin: SlackStandin,
    workspaces: list[Workspace],
    env: dict[str, str],
    tmp_path: Path,
    *,
    then: Callable[[], None] | None = None,
) -> None:
    """Two clocks until every rep has their DM (and `then`); both stop cleanly, nobody asked twice or missed."""
    clocks = [start_clock(env, tmp_path / f"clock{n}.log") for n in range(2)]
    try:
        standin.wait_for(lambda: all_sent(standin, workspaces), timeout=90)
        if then is not None:
            then()
    finally:
        codes = [stop(process) for process, _ in clocks]
        for _, log in clocks:
            log.close()
    assert codes == [0, 0], [(tmp_path / f"clock{n}.log").read_text()[-2000:] for n in range(2)]
    assert duplicates_and_misses(standin, workspaces) == (0, 0)


def test_a_second_clock_on_sqlite_is_refused_until_the_first_is_gone(standin: SlackStandin, tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path / 'clock.db'}"
    (workspace,) = seed_workspaces(database, standin, teams=1, reps=3)
    env = clock_env(database, standin)
    first, log = start_clock(env, tmp_path / "first.log")
    try:
        standin.wait_for(lambda: all_sent(standin, [workspace]), timeout=30)
        second = subprocess.run(
            [sys.executable, "-m", "bot", "scheduler"],
            cwd=REPO_ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert second.returncode == 1
        (reason,) = second.stderr.strip().splitlines()
        assert "another `persona-bot scheduler` is already running" in reason and "PostgreSQL" in reason
        assert "Traceback" not in second.stderr
        assert stop(first, signal.SIGKILL) == -signal.SIGKILL  # a crash: the lock must not outlive it
    finally:
        stop(first, signal.SIGKILL)
        log.close()

    newcomer = "U000RLATE"
    add_rep(database, standin, workspace, newcomer)
    after, log = start_clock(env, tmp_path / "after.log")
    try:
        standin.wait_for(lambda: sent_dms(standin, [workspace])[workspace.team_id][newcomer] == 1, timeout=30)
    finally:
        assert stop(after) == 0, (tmp_path / "after.log").read_text()
        log.close()
    assert duplicates_and_misses(standin, [workspace]) == (0, 0)


def test_a_clock_told_to_stop_leaves_within_its_grace_while_slack_hangs_and_the_next_resumes_exactly_once(
    standin: SlackStandin, tmp_path: Path
) -> None:
    database = f"sqlite:///{tmp_path / 'clock.db'}"
    (workspace,) = seed_workspaces(database, standin, teams=1, reps=12)
    env = clock_env(database, standin)
    clock, log = start_clock(env, tmp_path / "first.log")
    try:
        standin.wait_for(lambda: sum(sent_dms(standin, [workspace])[workspace.team_id].values()) >= 2, timeout=30)
        standin.latency("chat.postMessage", 25)  # Slack stops answering: every send in flight waits on it
        time.sleep(0.5)  # the sends now in flight wait 25 s for their answers
        answered = len(standin.calls("chat.postMessage"))
        os.killpg(clock.pid, signal.SIGTERM)
        code = clock.wait(60)  # a bound for a loaded machine; how it left is counted below
        answered = len(standin.calls("chat.postMessage")) - answered
    finally:
        if clock.poll() is None:
            os.killpg(clock.pid, signal.SIGKILL)
        log.close()
    assert code == 0, (tmp_path / "first.log").read_text()[-2000:]
    assert answered == 0, "it left without waiting for Slack's answers to the sends in flight"
    standin.latency("chat.postMessage", 0)
    after, log = start_clock(env, tmp_path / "after.log")
    try:
        standin.wait_for(lambda: all_sent(standin, [workspace]), timeout=60)
    finally:
        assert stop(after) == 0, (tmp_path / "after.log").read_text()[-2000:]
        log.close()
    assert duplicates_and_misses(standin, [workspace]) == (0, 0)


@pytest.mark.skipif(not TEST_DATABASE_URL, reason="several clocks need PostgreSQL (TEST_DATABASE_URL)")
def test_two_clocks_on_postgresql_share_the_workspaces_with_no_duplicates_and_no_misses(
    standin: SlackStandin, tmp_path: Path, postgres_url: str
) -> None:
    fresh_database(postgres_url)
    workspaces = seed_workspaces(postgres_url, standin, teams=6, reps=25)
    for w in workspaces:
        standin.rate_limit("chat.postMessage", 40, burst=5, retry_after_precision=0.01, team_id=w.team_id)
    env = clock_env(postgres_url, standin, SCHEDULER_PARALLEL_WORKSPACES="2", SLACK_POST_START_RATE="20")
    late = workspaces[-1]

    def newcomer() -> None:  # later ticks go over the finished round again (and find a newcomer)
        add_rep(postgres_url, standin, late, "U000RLATE")
        standin.wait_for(lambda: sent_dms(standin, workspaces)[late.team_id]["U000RLATE"] == 1, timeout=30)

    run_clocks_until_all_sent(standin, workspaces, env, tmp_path, then=newcomer)


@pytest.mark.skipif(not TEST_DATABASE_URL, reason="several clocks need PostgreSQL (TEST_DATABASE_URL)")
def test_two_clocks_started_together_split_the_workspaces_between_them(
    standin: SlackStandin, tmp_path: Path, postgres_url: str
) -> None:
    # Each clock's pool could take every workspace: without the join window the first to tick counted only
    # itself, took all six and held them for the whole round, and the second found every one locked.
    fresh_database(postgres_url)
    workspaces = seed_workspaces(postgres_url, standin, teams=6, reps=30)
    for w in workspaces:  # about 3 s of fan-out per workspace: long enough to see who holds what
        standin.rate_limit("chat.postMessage", 10, burst=5, retry_after_precision=0.01, team_id=w.team_id)
    # A join window wider than the default: two processes started one after the other on a loaded CI machine
    # finish their imports up to a few seconds apart (a deploy's dynos start on machines of their own).
    env = clock_env(
        postgres_url,
        standin,
        SCHEDULER_PARALLEL_WORKSPACES="6",
        SLACK_POST_START_RATE="10",
        SCHEDULER_JOIN_SECONDS="5",
    )
    watch = WorkspaceLockWatch(postgres_url)
    watch.start()
    try:
        run_clocks_until_all_sent(standin, workspaces, env, tmp_path)
    finally:
        watch.stop()
    peaks = watch.peaks()
    assert len(peaks) == 2, f"both clocks worked on workspaces (most held at once, per clock: {peaks})"
