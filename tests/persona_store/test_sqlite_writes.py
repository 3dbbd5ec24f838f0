"""SQLite write transactions take turns in arrival order, and every way a transaction ends gives its turn back."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from persona_store.db import ensure_schema, make_engine, make_readonly_session_factory, make_session_factory
from persona_store.sqlite_writes import WriteQueue, write_queue
from persona_store.workspaces import ensure_workspace, find_workspace


def eventually(predicate: Callable[[], bool]) -> None:
    """Wait for another thread to get somewhere (a hang guard, not a timing assertion)."""
    deadline = time.monotonic() + 10
    while not predicate():
        assert time.monotonic() < deadline, "the other thread never got there"
        time.sleep(0.001)


def test_writers_get_their_turn_in_the_order_they_asked() -> None:
    queue = WriteQueue()
    first = queue.acquire(timeout=1)
    assert first is not None
    order: list[int] = []
    threads = []
    for n in range(1, 6):

        def writer(n: int = n) -> None:
            ticket = queue.acquire(timeout=30)
            assert ticket is not None
            order.append(n)
            queue.release(ticket)

        thread = threading.Thread(target=writer)
        thread.start()
        threads.append(thread)
        eventually(lambda n=n: queue.pending == n + 1)  # this writer holds its ticket before the next asks
    queue.release(first)
    for thread in threads:
        thread.join(timeout=30)
    assert order == [1, 2, 3, 4, 5]
    assert queue.pending == 0


def test_a_writer_that_gave_up_waiting_is_skipped_when_its_turn_comes() -> None:
    queue = WriteQueue()
    holder = queue.acquire(timeout=1)
    assert holder is not None
    assert queue.acquire(timeout=0) is None  # gave up at once: SQLite's own wait decides for it
    got: list[int | None] = []
    waiter = threading.Thread(target=lambda: got.append(queue.acquire(timeout=30)))
    waiter.start()
    eventually(lambda: queue.pending == 2)
    queue.release(holder)
    waiter.join(timeout=30)
    assert got and got[0] is not None, "the writer behind the one that gave up got its turn"
    queue.release(got[0])
    assert queue.pending == 0


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = make_engine(f"sqlite:///{tmp_path / 'writes.db'}")
    ensure_schema(engine)
    yield engine
    engine.dispose()


def test_commit_rollback_and_errors_all_give_the_turn_back(engine: Engine) -> None:
    sessions = make_session_factory(engine)
    queue = write_queue(engine)
    assert queue is not None and queue.pending == 0
    with sessions.begin() as s:
        ensure_workspace(s, "T0WRITES")
        assert queue.pending == 1  # this transaction holds the turn while it may write
    assert queue.pending == 0
    with pytest.raises(RuntimeError), sessions.begin() as s:
        ensure_workspace(s, "T0ROLLBACK")
        raise RuntimeError("a listener failed half-way")
    assert queue.pending == 0
    with pytest.raises(Exception), sessions.begin() as s:  # noqa: B017  # the database's own refusal
        s.execute(text("INSERT INTO no_such_table VALUES (1)"))
    assert queue.pending == 0
    with make_readonly_session_factory(sessions).begin() as s:
        assert find_workspace(s, "T0WRITES") is not None
        assert queue.pending == 0, "reads never queue"
    with sessions.begin() as s:
        assert find_workspace(s, "T0ROLLBACK") is None, "the failed transaction wrote nothing"
