"""The clock's workspace locks on PostgreSQL: every workspace in hand on one connection, another clock kept out."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, text

from bot.clock.jobs import workspace_lock
from persona_store.db import make_engine

TEAMS = [f"T{n:04d}" for n in range(8)]


@pytest.fixture
def two_clocks(postgres_url: str) -> Iterator[tuple[Engine, Engine]]:
    first, second = make_engine(postgres_url), make_engine(postgres_url)
    try:
        yield first, second
    finally:
        first.dispose()
        second.dispose()


def test_every_workspace_in_hand_holds_one_connection_and_keeps_the_other_clock_out(
    two_clocks: tuple[Engine, Engine],
) -> None:
    first, second = two_clocks
    with contextlib.ExitStack() as stack:
        mine = [stack.enter_context(workspace_lock(first, team)) for team in TEAMS]
        assert mine == [True] * len(TEAMS)
        assert first.pool.checkedout() == 1, "eight workspaces in hand, one connection"
        with workspace_lock(first, TEAMS[0]) as again:
            assert again is False, "one clock never works on a workspace twice at once"
        for team in TEAMS:
            with workspace_lock(second, team) as theirs:
                assert theirs is False
        with workspace_lock(second, "T9999") as other:
            assert other is True
    for team in TEAMS:  # released: the other clock may take them
        with workspace_lock(second, team) as theirs:
            assert theirs is True


def test_a_lost_lock_connection_frees_its_workspaces_and_is_reopened(two_clocks: tuple[Engine, Engine]) -> None:
    first, second = two_clocks
    with workspace_lock(first, TEAMS[0]) as mine:
        assert mine is True
        held = (
            " FROM pg_locks WHERE locktype = 'advisory' AND granted"
            " AND pid <> pg_backend_pid() AND classid = 0 AND objsubid = 1"
            " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
        )
        with second.connect() as conn:  # the first clock's lock connection dies (a network cut, a restart)
            conn.execute(text("SELECT pg_terminate_backend(pid)" + held))
            # pg_terminate_backend only signals the backend: wait until it has gone and its locks with it
            for _ in range(200):
                if not conn.execute(text("SELECT count(*)" + held)).scalar():
                    break
                time.sleep(0.05)
        with workspace_lock(second, TEAMS[0]) as theirs:
            assert theirs is True, "the lock went with its connection"
    with workspace_lock(first, TEAMS[1]) as again:  # the first clock goes on, on a new connection
        assert again is True
    with workspace_lock(second, TEAMS[1]) as theirs:
        assert theirs is True
