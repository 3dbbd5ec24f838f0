"""Engines, session factories, migrations and the dialect-neutral `insert … on conflict do nothing`."""

from __future__ import annotations

import select
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DisconnectionError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.sql.dml import Insert

from persona_store.models import Base
from persona_store.sqlite_writes import give_up_turn, queue_writes, take_turn

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"
CONNECT_TIMEOUT_SECONDS = 3
# A pooled PostgreSQL connection that sat idle this long is pinged before it is handed out (a network cut may have
# closed it without a word); sooner only when its socket shows the server closed it (`_ping_after_idle`).
PING_AFTER_IDLE_SECONDS = 10.0
SQLITE_BUSY_TIMEOUT_MS = 10_000
READONLY_OPTION = "persona_bot_readonly"


class DatabaseURLError(ValueError):
    """DATABASE_URL can't be used; the message is one line for a person and never repeats the URL (passwords)."""


URL_EXAMPLES = "postgresql://user:password@host:5432/name or sqlite:///persona_bot.db"


def check_database_url(url: str) -> URL:
    """The parsed URL, or DatabaseURLError saying what is wrong with it (before any driver is loaded)."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise DatabaseURLError(f"DATABASE_URL is not a database URL; it should look like {URL_EXAMPLES}") from None
    except ValueError:  # SQLAlchemy reads the port with int()
        raise DatabaseURLError("DATABASE_URL has a port that is not a number; ports are 1 to 65535") from None
    if parsed.port is not None and not 0 < parsed.port < 65536:
        raise DatabaseURLError(f"DATABASE_URL has port {parsed.port}; ports are 1 to 65535")
    backend, _, driver = parsed.drivername.partition("+")  # without loading a dialect (a missing one raises)
    if backend not in ("sqlite", "postgresql"):
        raise DatabaseURLError(
            f"DATABASE_URL starts with {backend}://; persona-bot runs on PostgreSQL or SQLite ({URL_EXAMPLES})"
        )
    if backend == "postgresql" and driver not in ("", "psycopg"):
        raise DatabaseURLError(
            f"DATABASE_URL asks for the {driver} driver; write postgresql://… and persona-bot uses psycopg 3"
        )
    if backend == "sqlite" and driver not in ("", "pysqlite"):
        raise DatabaseURLError(f"DATABASE_URL asks for the {driver} driver; write sqlite:///FILE")
    return parsed


def make_engine(url: str, *, ping_after_idle: float = PING_AFTER_IDLE_SECONDS, **kwargs: Any) -> Engine:
    """An engine with our connection rules: WAL and BEGIN IMMEDIATE on SQLite, fast failure on PostgreSQL.

    On PostgreSQL a connection idle for `ping_after_idle` seconds, or closed by the server meanwhile, is pinged when
    it leaves the pool (a dead one is replaced there, unseen by the caller).
    """
    parsed = check_database_url(url)
    if parsed.get_backend_name() == "sqlite":
        engine = create_engine(
            url,
            connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000, "check_same_thread": False},
            **kwargs,
        )
        _configure_sqlite(engine)
        return engine
    connect_args: dict[str, Any] = {}
    if parsed.get_backend_name() == "postgresql":
        connect_args["connect_timeout"] = CONNECT_TIMEOUT_SECONDS
    engine = create_engine(url, pool_timeout=CONNECT_TIMEOUT_SECONDS, connect_args=connect_args, **kwargs)
    _ping_after_idle(engine, ping_after_idle)
    return engine


def _ping_after_idle(engine: Engine, idle_seconds: float) -> None:
    """SQLAlchemy's `pool_pre_ping`, without a round trip for a connection that is plainly alive.

    A connection leaves the pool pinged when it sat idle for `idle_seconds`, or when the server has said something
    while it sat there: a closed connection's socket reads as ready (the end of the stream, or the server's
    "terminating connection" notice), which a poll sees without asking the server anything. Otherwise, back from
    work a moment ago and silent since, it is handed out as it is: a busy server saves a round trip per transaction
    (a burst of submissions; a fan-out's two short transactions per DM).
    """
    idle_since = "persona_bot_idle_since"

    @event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi_connection: Any, record: Any) -> None:
        record.info[idle_since] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _on_checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        since = record.info.get(idle_since)
        if since is None:
            return  # just opened
        if time.monotonic() - since < idle_seconds and not _server_spoke(dbapi_connection):
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except Exception as error:
            raise DisconnectionError("a pooled connection was closed while idle") from error  # the pool reconnects


def _server_spoke(dbapi_connection: Any) -> bool:
    """Whether an idle connection's socket has something to read (or can't be polled): then it is pinged."""
    try:
        poller = select.poll()
        poller.register(dbapi_connection.fileno(), select.POLLIN)
        return bool(poller.poll(0))
    except (AttributeError, OSError, ValueError):
        return True


def _configure_sqlite(engine: Engine) -> None:
    writes = queue_writes(engine)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the sqlite3 module, decide when transactions begin (so BEGIN IMMEDIATE works).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # A transaction that may write takes the write lock up front: a deferred one that later writes fails fast
        # with SQLITE_BUSY under contention. Read-only sessions (`make_readonly_session_factory`) share the database
        # freely under WAL instead of queueing behind writers.
        if connection.get_execution_options().get(READONLY_OPTION):
            connection.exec_driver_sql("BEGIN")
            return
        take_turn(writes, connection.info, SQLITE_BUSY_TIMEOUT_MS / 1000)  # one writer at a time, in arrival order
        try:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        except Exception:
            give_up_turn(writes, connection.info)
            raise


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)


def make_readonly_session_factory(sessions: sessionmaker[Session]) -> sessionmaker[Session]:
    """Sessions for transactions that only read (lookups): on SQLite they never wait for the write lock."""
    engine: Engine = sessions.kw["bind"]
    return sessionmaker(bind=engine.execution_options(**{READONLY_OPTION: True}), expire_on_commit=False)


def alembic_config(engine: Engine) -> Config:
    # Alembic is imported here, not at the top: it costs 0.1-0.2 s that every process start would pay, and only a
    # migration or `persona-bot doctor` needs it (bench/crash_resume.py).
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Apply migrations up to `revision`."""
    from alembic import command  # see alembic_config

    command.upgrade(alembic_config(engine), revision)


def ensure_schema(engine: Engine) -> bool:
    """Migrate an empty database automatically; returns True when it did so."""
    existing = set(inspect(engine).get_table_names())
    if Base.metadata.tables.keys() & existing:
        return False
    upgrade(engine)
    return True


def insert_ignore(engine_or_session: Engine | Session, table: Any) -> Insert:
    """`INSERT … ON CONFLICT DO NOTHING` for the dialect in use; both SQLite and PostgreSQL support it."""
    name = (
        engine_or_session.get_bind().dialect.name
        if isinstance(engine_or_session, Session)
        else (engine_or_session.dialect.name)
    )
    if name == "postgresql":
        return postgresql.insert(table).on_conflict_do_nothing()
    if name == "sqlite":
        return sqlite.insert(table).on_conflict_do_nothing()
    raise NotImplementedError(f"persona-bot supports SQLite and PostgreSQL, not {name}")
