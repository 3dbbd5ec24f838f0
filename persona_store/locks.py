"""Locks shared by every process on one database: the one clock on SQLite, and who is alive to own a claim.

**The clock on SQLite.** Several `persona-bot scheduler` processes may share a PostgreSQL database (each takes a
workspace's advisory lock before working on it), but SQLite has one writer at a time and no advisory locks, so
exactly one clock runs there: `clock_lock(engine)` takes an exclusive lock on a file next to the database
(`<database>.persona-bot.lock`) and raises `ClockAlreadyRunning` when another process holds it. The operating
system releases it when the process ends, however it ends (kill -9 included), so a crashed clock never blocks
the next one.

**Who owns a claim.** A claim in the effects ledger carries a token that names the process that made it
(`ClaimOwner.token()`: `o<key>~<random>`). The process holds a lock on its key for as long as it lives: on
PostgreSQL a session advisory lock `(OWNER_LOCK_CLASS, key)` on a connection of its own, on SQLite a byte-range
lock at offset `key` of the same lock file. When a sender finds someone else's `pending` claim, it asks
`owner_is_gone(session, token)`: if nobody holds that key any more, the owner died (a crash, a kill, a deploy) and
the claim is taken over at once, instead of after its lease; the taker then decides from the DM's history whether
the message was sent. A claim from a live owner is left alone, and an unrecognised token (an older release, an
in-memory database) falls back to the lease.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import secrets
import threading
import uuid
import weakref
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any, ClassVar

from sqlalchemy import Connection, Engine, text
from sqlalchemy.orm import Session

OWNER_LOCK_CLASS = 0x50B0  # the first key of PostgreSQL's two-int advisory locks: owners never meet other locks
CLOCK_LOCK_CLASS = 0x50B1  # a running clock's presence
CLOCK_OFFSET = 0  # the byte of the lock file the SQLite clock holds; owners hold bytes 1..2^31
_TOKEN_PREFIX = "o"
_TOKEN_SEPARATOR = "~"

__all__ = [
    "ClaimOwner",
    "ClockAlreadyRunning",
    "WorkspaceLocks",
    "clock_lock",
    "live_clocks",
    "owner_is_gone",
    "process_owner",
    "workspace_locks",
]


class ClockAlreadyRunning(RuntimeError):
    """Another `persona-bot scheduler` runs on this SQLite database; the message is one line for a person."""


def sqlite_file(engine: Engine) -> Path | None:
    """The database file of a file-backed SQLite engine, else None."""
    if engine.url.get_backend_name() != "sqlite":
        return None
    database = engine.url.database
    if database in (None, "", ":memory:") or str(database).startswith("file:"):
        return None
    return Path(str(database)).resolve()


def lock_path(engine: Engine) -> Path | None:
    database = sqlite_file(engine)
    return database.with_name(database.name + ".persona-bot.lock") if database is not None else None


class _LockFile:
    """One open file per lock path and process. POSIX record locks belong to the process and are all dropped when
    *any* of its descriptors for the file closes, so the file is opened once and never closed."""

    _files: ClassVar[dict[Path, _LockFile]] = {}
    _files_lock = threading.Lock()

    def __init__(self, path: Path) -> None:
        self._file: IO[bytes] = open(path, "a+b")  # noqa: SIM115 -- kept open for the process's lifetime (see above)
        self._lock = threading.Lock()

    @classmethod
    def at(cls, path: Path) -> _LockFile:
        with cls._files_lock:
            found = cls._files.get(path)
            if found is None:
                found = cls._files[path] = cls(path)
            return found

    def try_lock(self, offset: int) -> bool:
        with self._lock:
            try:
                fcntl.lockf(self._file, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, offset)
            except OSError as error:
                if error.errno in (errno.EACCES, errno.EAGAIN):
                    return False
                raise
            return True

    def unlock(self, offset: int) -> None:
        with self._lock:
            fcntl.lockf(self._file, fcntl.LOCK_UN, 1, offset)

    def held_elsewhere(self, offset: int) -> bool:
        """True when another process holds `offset`. (Our own locks never conflict with us: callers check those.)"""
        if self.try_lock(offset):
            self.unlock(offset)
            return False
        return True


_clock_held: set[Path] = set()
_clock_guard = threading.Lock()


@contextlib.contextmanager
def clock_lock(engine: Engine) -> Iterator[None]:
    """Register a clock for the duration: on SQLite the one-clock lock (`ClockAlreadyRunning` if taken); on
    PostgreSQL a presence lock `(CLOCK_LOCK_CLASS, random)`, so every clock can count the live ones
    (`live_clocks`) and take its fair share of the workspaces."""
    if engine.dialect.name == "postgresql":
        key = secrets.randbelow(2**31 - 2) + 1
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("SELECT pg_advisory_lock(:c, :k)"), {"c": CLOCK_LOCK_CLASS, "k": key})
            try:
                yield
            finally:
                with contextlib.suppress(Exception):  # a lost connection has dropped the lock already
                    conn.execute(text("SELECT pg_advisory_unlock(:c, :k)"), {"c": CLOCK_LOCK_CLASS, "k": key})
        return
    path = lock_path(engine)
    if path is None:
        yield
        return
    lock_file = _LockFile.at(path)
    with _clock_guard:
        if path in _clock_held or not lock_file.try_lock(CLOCK_OFFSET):
            raise ClockAlreadyRunning(
                f"another `persona-bot scheduler` is already running on {sqlite_file(engine)} (SQLite allows one clock;"
                " use PostgreSQL to run several)"
            )
        _clock_held.add(path)
    try:
        yield
    finally:
        with _clock_guard:
            _clock_held.discard(path)
            lock_file.unlock(CLOCK_OFFSET)


def live_clocks(engine: Engine) -> int:
    """How many clocks hold their presence lock on this PostgreSQL database right now (1 elsewhere)."""
    if engine.dialect.name != "postgresql":
        return 1
    query = text(
        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted AND classid = :c AND objsubid = 2"
        " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
    )
    with engine.connect() as conn:
        return int(conn.execute(query, {"c": CLOCK_LOCK_CLASS}).scalar() or 0)


# --- workspace locks ------------------------------------------------------------------------------------------


class WorkspaceLocks:
    """The workspace advisory locks of one clock on PostgreSQL, all held on ONE autocommit connection of its own.

    Session advisory locks belong to the connection that took them, so one connection can hold every workspace the
    clock has in hand: the clock's connections then don't grow with SCHEDULER_PARALLEL_WORKSPACES (a pooled
    connection per workspace, held for the whole step, did). The connection is used under a mutex and only for
    `pg_try_advisory_lock` / `pg_advisory_unlock`, a round trip each. If it is lost, the locks went with it: it is
    reopened on the next call, and a workspace another clock took meanwhile is still sent exactly once (the ledger's
    claims decide who sends; the lock only keeps clocks from doing the same reads twice).
    """

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._mutex = threading.Lock()
        self._connection: Connection | None = None
        self._held: set[int] = set()

    def try_acquire(self, key: int) -> bool:
        with self._mutex:
            if key in self._held:  # one clock never works on one workspace twice at once
                return False
            got = bool(self._run("SELECT pg_try_advisory_lock(:k)", key))
            if got:
                self._held.add(key)
            return got

    def release(self, key: int) -> None:
        with self._mutex:
            if key not in self._held:
                return
            self._held.discard(key)
            with contextlib.suppress(Exception):  # a lost connection has dropped the lock already
                self._run("SELECT pg_advisory_unlock(:k)", key)

    def close(self) -> None:
        with self._mutex:
            self._held.clear()
            if self._connection is not None:
                with contextlib.suppress(Exception):
                    self._connection.close()
                self._connection = None

    def _run(self, sql: str, key: int) -> object:
        if self._connection is not None and self._connection.closed:
            self._connection = None
        if self._connection is None:
            self._held.clear()  # a new connection holds nothing yet
            self._connection = self._engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        try:
            return self._connection.execute(text(sql), {"k": key}).scalar()
        except Exception:
            with contextlib.suppress(Exception):
                self._connection.close()
            self._connection, self._held = None, set()  # its locks went with it
            raise


_workspace_locks: weakref.WeakKeyDictionary[Engine, WorkspaceLocks] = weakref.WeakKeyDictionary()


def workspace_locks(engine: Engine) -> WorkspaceLocks:
    """This process's workspace locks on `engine` (PostgreSQL), made on first use."""
    with _owners_guard:
        locks = _workspace_locks.get(engine)
        if locks is None:
            locks = _workspace_locks[engine] = WorkspaceLocks(engine)
        return locks


# --- claim owners ---------------------------------------------------------------------------------------------

_live_keys: dict[int, ClaimOwner] = {}  # owners alive in this process (our own locks can't be tested from inside)
_live_guard = threading.Lock()


class ClaimOwner:
    """This process as the owner of ledger claims: holds its key's lock from the first `token()` to `release()`."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self.key = secrets.randbelow(2**31 - 2) + 1
        self._lock = threading.Lock()
        self._connection: Connection | None = None
        self._file: _LockFile | None = None
        self._held = False
        self._supported = engine.dialect.name == "postgresql" or lock_path(engine) is not None
        self._in_hand: set[str] = set()

    def token(self) -> str:
        """A fresh claim token naming this owner (a plain random token where liveness can't be told). Call `done`
        when the sender is finished with it, whatever the outcome: a pending claim whose token is no longer in
        hand (its sender died with an exception) is then taken over at once by this process's next run too."""
        if not self._supported:
            return uuid.uuid4().hex
        self._hold()
        token = f"{_TOKEN_PREFIX}{self.key}{_TOKEN_SEPARATOR}{uuid.uuid4().hex}"
        with self._lock:
            self._in_hand.add(token)
        return token

    def done(self, token: str) -> None:
        with self._lock:
            self._in_hand.discard(token)

    def in_hand(self, token: str) -> bool:
        with self._lock:
            return token in self._in_hand

    def _hold(self) -> None:
        with self._lock:
            if self._held:
                return
            if self._engine.dialect.name == "postgresql":
                connection = self._engine.connect().execution_options(isolation_level="AUTOCOMMIT")
                connection.execute(text("SELECT pg_advisory_lock(:c, :k)"), {"c": OWNER_LOCK_CLASS, "k": self.key})
                self._connection = connection
            else:
                path = lock_path(self._engine)
                assert path is not None
                self._file = _LockFile.at(path)
                if not self._file.try_lock(self.key):  # a key another process took: astronomically rare; pick again
                    self.key = secrets.randbelow(2**31 - 2) + 1
                    if not self._file.try_lock(self.key):
                        raise RuntimeError("could not take a claim-owner lock")
            with _live_guard:
                _live_keys[self.key] = self
            self._held = True

    def release(self) -> None:
        """Stop owning (as a process's end does): claims still pending under this owner may be taken over at once."""
        with self._lock:
            if not self._held:
                return
            with _live_guard:
                _live_keys.pop(self.key, None)
            if self._connection is not None:
                with contextlib.suppress(Exception):  # a dead connection has released the lock already
                    self._connection.execute(
                        text("SELECT pg_advisory_unlock(:c, :k)"), {"c": OWNER_LOCK_CLASS, "k": self.key}
                    )
                self._connection.close()
                self._connection = None
            if self._file is not None:
                self._file.unlock(self.key)
            self._held = False


_owners: weakref.WeakKeyDictionary[Engine, ClaimOwner] = weakref.WeakKeyDictionary()
_owners_guard = threading.Lock()


def process_owner(engine: Engine) -> ClaimOwner:
    """This process's claim owner on `engine` (one per engine, made on first use, released when the process ends)."""
    with _owners_guard:
        owner = _owners.get(engine)
        if owner is None:
            owner = _owners[engine] = ClaimOwner(engine)
        return owner


def _key_of(token: str | None) -> int | None:
    if not token or not token.startswith(_TOKEN_PREFIX) or _TOKEN_SEPARATOR not in token:
        return None
    raw = token[len(_TOKEN_PREFIX) : token.index(_TOKEN_SEPARATOR)]
    return int(raw) if raw.isdigit() and 0 < int(raw) < 2**31 else None


def owner_is_gone(session: Session, token: str | None) -> bool:
    """True when the process that made claim `token` has ended; False when it lives or we can't tell."""
    key = _key_of(token)
    if key is None:
        return False
    with _live_guard:
        ours = _live_keys.get(key)
    if ours is not None:  # this process: gone only if no sender of ours still has it in hand
        return token is not None and not ours.in_hand(token)
    bind: Any = session.get_bind()
    engine: Engine = bind.engine if isinstance(bind, Connection) else bind
    if engine.dialect.name == "postgresql":
        got = bool(
            session.execute(text("SELECT pg_try_advisory_lock(:c, :k)"), {"c": OWNER_LOCK_CLASS, "k": key}).scalar()
        )
        if got:
            session.execute(text("SELECT pg_advisory_unlock(:c, :k)"), {"c": OWNER_LOCK_CLASS, "k": key})
        return got
    path = lock_path(engine)
    if path is None or not path.exists():
        return False
    return not _LockFile.at(path).held_elsewhere(key)


def _forget_in_child() -> None:
    # A forked child (a WSGI server's worker) is a different process: it must not believe it holds its parent's keys.
    _live_keys.clear()
    _owners.clear()
    _workspace_locks.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_in_child)
