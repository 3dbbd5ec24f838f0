"""Shared fixtures: session factories on SQLite (always) and PostgreSQL (when TEST_DATABASE_URL is set)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import NoReturn

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from bot.config import normalise_database_url
from persona_store.db import make_engine, make_session_factory, upgrade
from persona_store.models import Workspace

# slack-sdk honours proxies but not NO_PROXY: a proxy would swallow calls meant for the local stand-in.
for _proxy in ("HTTPS_PROXY", "HTTP_PROXY", "https_proxy", "http_proxy", "ALL_PROXY", "all_proxy"):
    os.environ.pop(_proxy, None)

# CI sets this: a test that would be skipped for want of PostgreSQL or LibreOffice fails instead (see `require`).
REQUIRE_ALL = os.environ.get("PERSONA_BOT_REQUIRE_ALL", "").strip().lower() in ("1", "true", "yes")
LOCAL_POSTGRES = "postgresql://postgres@127.0.0.1:5432/postgres"


def _find_postgres() -> str | None:
    """TEST_DATABASE_URL; when unset, a PostgreSQL on 127.0.0.1:5432 if one answers; TEST_DATABASE_URL="" for none."""
    configured = os.environ.get("TEST_DATABASE_URL")
    if configured is not None:
        return configured.strip() or None
    try:
        import psycopg

        psycopg.connect(LOCAL_POSTGRES, connect_timeout=1).close()
    except Exception:  # no server, no such user, no driver: the SQLite half of the suite still runs
        return None
    return LOCAL_POSTGRES


TEST_DATABASE_URL = _find_postgres()
BACKENDS = ["sqlite", "postgresql"] if TEST_DATABASE_URL or REQUIRE_ALL else ["sqlite"]


def require(what: str, how: str) -> NoReturn:
    """Skip a test that needs something this machine lacks; under PERSONA_BOT_REQUIRE_ALL (CI), fail it."""
    if REQUIRE_ALL:
        pytest.fail(f"{what} is required here (PERSONA_BOT_REQUIRE_ALL is set) but missing: {how}")
    pytest.skip(f"{what} is not available: {how}")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """Under PERSONA_BOT_REQUIRE_ALL no test may be skipped, whatever skipped it."""
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    if REQUIRE_ALL and report.skipped and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        report.longrepr = f"skipped, which PERSONA_BOT_REQUIRE_ALL forbids: {report.longrepr}"


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A private PostgreSQL database for this test run, dropped at the end (parallel runs never collide)."""
    if not TEST_DATABASE_URL:
        require("PostgreSQL", "set TEST_DATABASE_URL, or run one on 127.0.0.1:5432 (user postgres)")
    admin_url = make_url(normalise_database_url(TEST_DATABASE_URL))
    name = f"persona_bot_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield admin_url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _fresh_postgres(url: str) -> Engine:
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    upgrade(engine)
    return engine


@pytest.fixture(params=BACKENDS)
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A migrated, empty database: SQLite in a temp folder, and PostgreSQL when configured."""
    if request.param == "sqlite":
        eng = make_engine(f"sqlite:///{tmp_path / 'persona_bot.db'}")
        upgrade(eng)
    else:
        eng = _fresh_postgres(request.getfixturevalue("postgres_url"))
    try:
        yield eng
    finally:
        eng.dispose()


@pytest.fixture
def sqlite_engine(tmp_path: Path) -> Iterator[Engine]:
    eng = make_engine(f"sqlite:///{tmp_path / 'persona_bot.db'}")
    upgrade(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def sessions(engine: Engine) -> sessionmaker[Session]:
    return make_session_factory(engine)


@pytest.fixture
def workspace_id(sessions: sessionmaker[Session]) -> int:
    with sessions.begin() as s:
        ws = Workspace(team_id="T0TEST", name="Test workspace")
        s.add(ws)
        s.flush()
        return ws.id
