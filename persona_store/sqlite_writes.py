"""One writer at a time, first come first served: SQLite write transactions queue in the process, not in SQLite.

SQLite lets one connection write at a time. A connection that finds the write lock taken waits in SQLite's busy
handler, which sleeps 1, 2, 5, 10 … and then 100 ms between tries and never looks at who came first: under a burst
(24 feedback submissions at once) a waiter keeps missing the moments the lock is free while newcomers take it, and
the unlucky ones waited over 2.9 s, past Slack's 3 s with the rest of the request. Here every transaction that may
write first takes a ticket in this process's queue, so at most one connection per process asks SQLite for the lock
and the others are woken in turn the moment it is released: the longest wait is the queue ahead times one short
transaction. Other processes on the same file (the clock, a CLI command) still meet in SQLite's busy handler.
"""

from __future__ import annotations

import threading
import time
import weakref
from typing import Any

from sqlalchemy import Engine, event

HELD = "persona_bot_sqlite_write_turn"
_QUEUES: weakref.WeakKeyDictionary[Engine, WriteQueue] = weakref.WeakKeyDictionary()


class WriteQueue:
    """A first-come-first-served lock. `acquire` gives up after `timeout` seconds (then SQLite's own wait decides)."""

    def __init__(self) -> None:
        self._condition = threading.Condition()
        self._next_ticket = 0
        self._serving = 0
        self._abandoned: set[int] = set()

    def acquire(self, timeout: float) -> int | None:
        with self._condition:
            ticket = self._next_ticket
            self._next_ticket += 1
            deadline = time.monotonic() + timeout
            while self._serving != ticket:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    self._abandoned.add(ticket)  # skipped when its turn comes
                    return None
                self._condition.wait(remaining)
            return ticket

    @property
    def pending(self) -> int:
        """Transactions holding or waiting for their turn."""
        with self._condition:
            return self._next_ticket - self._serving - len(self._abandoned)

    def release(self, ticket: int) -> None:
        with self._condition:
            if ticket != self._serving:
                return
            self._serving += 1
            while self._serving in self._abandoned:
                self._abandoned.discard(self._serving)
                self._serving += 1
            self._condition.notify_all()


def queue_writes(engine: Engine) -> WriteQueue:
    """One queue for `engine`'s write transactions: `take_turn` just before BEGIN IMMEDIATE, released at the end."""
    queue = _QUEUES[engine] = WriteQueue()

    # The transaction's end: COMMIT or ROLLBACK through SQLAlchemy, or the pool resetting or dropping the connection.
    def _on_commit(connection: Any) -> None:
        give_up_turn(queue, connection.info)

    def _on_rollback(connection: Any) -> None:
        give_up_turn(queue, connection.info)

    def _on_reset(dbapi_connection: Any, connection_record: Any, reset_state: Any) -> None:
        give_up_turn(queue, connection_record.info)

    def _on_invalidate(dbapi_connection: Any, connection_record: Any, exception: Any) -> None:
        give_up_turn(queue, connection_record.info)

    def _on_close(dbapi_connection: Any, connection_record: Any) -> None:
        give_up_turn(queue, connection_record.info)

    event.listen(engine, "commit", _on_commit)
    event.listen(engine, "rollback", _on_rollback)
    event.listen(engine, "reset", _on_reset)
    event.listen(engine, "invalidate", _on_invalidate)
    event.listen(engine, "close", _on_close)
    return queue


def write_queue(engine: Engine) -> WriteQueue | None:
    """The queue of a SQLite engine made by `persona_store.db.make_engine` (None for other engines)."""
    return _QUEUES.get(engine)


def take_turn(queue: WriteQueue, info: dict[str, Any], timeout: float) -> None:
    """Wait for this connection's turn to write (its ticket is kept in the connection's `info` until the end)."""
    if HELD in info:
        return  # already its turn (a savepoint or a nested begin on the same connection)
    ticket = queue.acquire(timeout)
    if ticket is not None:
        info[HELD] = ticket


def give_up_turn(queue: WriteQueue, info: dict[str, Any]) -> None:
    ticket = info.pop(HELD, None)
    if ticket is not None:
        queue.release(ticket)
