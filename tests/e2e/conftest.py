"""End-to-end fixtures: the real `persona-bot serve` in a subprocess, driven through the Slack stand-in.

One bot process serves a whole test module (start-up costs a second); every test gets its own workspace (a fresh
team id), so tests never see each other's data, and the stand-in's recorded calls are cleared between tests.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from persona_store.db import make_engine, make_session_factory
from persona_store.files import parse_persona_file
from persona_store.personas import import_personas
from persona_store.roster import import_roster
from persona_store.roster_file import parse_roster_csv
from persona_store.workspaces import ensure_workspace
from slack_standin import SignedSlackClient, SlackStandin
from tests.e2e.harness import BotProcess

DEMO_DATA = Path(__file__).resolve().parents[2] / "bot" / "demo" / "data"
BOT_TOKEN = "xoxb-e2e-token"  # valid only against the stand-in
SIGNING_SECRET = secrets.token_hex(16)
STANDIN_TEAM = "T0E2E"


@pytest.fixture(scope="session")
def standin() -> Iterator[SlackStandin]:
    with SlackStandin(team_id=STANDIN_TEAM, bot_token=BOT_TOKEN) as server:
        yield server


@dataclass
class RunningBot:
    process: BotProcess
    engine: Engine
    sessions: sessionmaker[Session]
    env: dict[str, str]

    @property
    def url(self) -> str:
        return self.process.url


@contextmanager
def run_bot(standin: SlackStandin, folder: Path, **env: str) -> Iterator[RunningBot]:
    """Start `persona-bot serve` on a fresh SQLite database in `folder`, with extra environment `env`."""
    database = folder / "e2e.db"
    full_env = {
        "DATABASE_URL": f"sqlite:///{database}",
        "SLACK_API_URL": standin.api_url,
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "LOG_LEVEL": "INFO",
        **env,
    }
    with BotProcess(full_env, log_dir=folder) as process:
        engine = make_engine(full_env["DATABASE_URL"])
        try:
            yield RunningBot(process, engine, make_session_factory(engine), full_env)
        finally:
            engine.dispose()


@pytest.fixture(scope="module")
def bot(standin: SlackStandin, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningBot]:
    with run_bot(standin, tmp_path_factory.mktemp("bot")) as running:
        yield running


@dataclass
class E2E:
    """One test's view of the world: its own workspace, the stand-in, a signed client and the bot's database."""

    standin: SlackStandin
    bot: RunningBot
    client: SignedSlackClient
    team_id: str

    @property
    def sessions(self) -> sessionmaker[Session]:
        return self.bot.sessions

    def workspace_id(self) -> int:
        with self.sessions.begin() as s:
            return ensure_workspace(s, self.team_id).id

    def seed_personas(self, source: Path | str = DEMO_DATA / "personas.yaml") -> int:
        specs = parse_persona_file(source)
        with self.sessions.begin() as s:
            workspace_id = ensure_workspace(s, self.team_id).id
            import_personas(s, workspace_id, specs, author="import")
        return len(specs)

    def seed_roster(self, source: Path | str = DEMO_DATA / "roster.csv") -> list[str]:
        entries = parse_roster_csv(source)
        with self.sessions.begin() as s:
            import_roster(s, ensure_workspace(s, self.team_id).id, entries)
        for entry in entries:
            self.standin.add_user(STANDIN_TEAM, entry.slack_user_id, entry.name, tz=entry.timezone or "UTC")
        return [entry.slack_user_id for entry in entries]

    def wait_for(self, predicate: Callable[[], Any], timeout: float = 10.0) -> Any:
        return self.standin.wait_for(predicate, timeout=timeout)


def make_e2e(standin: SlackStandin, bot: RunningBot) -> E2E:
    standin.clear()
    standin.clear_faults()
    team_id = "T" + uuid.uuid4().hex[:10].upper()
    client = SignedSlackClient(bot.url, SIGNING_SECRET, standin=standin, team_id=team_id)
    return E2E(standin=standin, bot=bot, client=client, team_id=team_id)


@pytest.fixture
def e2e(standin: SlackStandin, bot: RunningBot) -> Iterator[E2E]:
    world = make_e2e(standin, bot)
    try:
        yield world
    finally:
        world.client.close()
