"""PostgreSQL connections leave the pool pinged only when they sat idle: a dead one is replaced, a busy one isn't."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, text

from persona_store.db import make_engine


@pytest.fixture
def pings(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Every round trip the pool makes to check a connection before handing it out."""
    from sqlalchemy.dialects.postgresql.psycopg import PGDialect_psycopg

    seen: list[object] = []
    original = PGDialect_psycopg.do_ping

    def counted(self: PGDialect_psycopg, dbapi_connection: object) -> bool:
        seen.append(dbapi_connection)
        return bool(original(self, dbapi_connection))

    monkeypatch.setattr(PGDialect_psycopg, "do_ping", counted)
    return seen


def _engine(url: str, idle: float) -> Iterator[Engine]:
    engine = make_engine(url, ping_after_idle=idle, pool_size=1, max_overflow=0)
    try:
        yield engine
    finally:
        engine.dispose()


@pytest.fixture
def busy_engine(postgres_url: str) -> Iterator[Engine]:
    yield from _engine(postgres_url, idle=60.0)


@pytest.fixture
def idle_engine(postgres_url: str) -> Iterator[Engine]:
    yield from _engine(postgres_url, idle=0.05)


def _backend(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT pg_backend_pid()")).scalar_one())


def test_a_connection_back_from_work_a_moment_ago_is_handed_out_without_a_round_trip(
    busy_engine: Engine, pings: list[object]
) -> None:
    first = _backend(busy_engine)
    assert [_backend(busy_engine) for _ in range(20)] == [first] * 20, "the same pooled connection each time"
    assert pings == [], "twenty transactions in a row, and not one ping"


def _terminate(postgres_url: str, pid: int) -> None:
    """The server closes that connection (a restart, an idle timeout, an administrator) while it sits in the pool."""
    engine = make_engine(postgres_url)
    try:
        with engine.connect() as other:
            other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
            alive = text("SELECT count(*) FROM pg_stat_activity WHERE pid = :pid")
            for _ in range(200):
                if not other.execute(alive, {"pid": pid}).scalar():
                    break
                time.sleep(0.02)
    finally:
        engine.dispose()
    time.sleep(0.1)  # the closed socket's end reaches this side


def test_a_connection_the_server_closed_a_moment_ago_is_replaced_before_anyone_uses_it(
    busy_engine: Engine, postgres_url: str, pings: list[object]
) -> None:
    first = _backend(busy_engine)
    _terminate(postgres_url, first)
    second = _backend(busy_engine)  # no error reaches the caller
    assert second != first, "a new connection took the dead one's place"
    assert len(pings) == 1, "its socket showed it closed: pinged, found dead, replaced"


def test_a_connection_idle_for_long_is_pinged_and_a_dead_one_replaced(
    idle_engine: Engine, postgres_url: str, pings: list[object]
) -> None:
    first = _backend(idle_engine)
    time.sleep(0.1)  # longer than the engine's idle time
    assert _backend(idle_engine) == first and len(pings) == 1, "alive after its idle time: pinged, kept"
    _terminate(postgres_url, first)
    assert _backend(idle_engine) != first and len(pings) == 2
