"""`persona-bot reviews [--send]`: the overdue list, and asking owners now, once."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import cli
from persona_store.db import make_engine, make_session_factory, upgrade
from persona_store.models import utcnow
from persona_store.persona_spec import PersonaSpec
from persona_store.personas import apply_persona
from persona_store.workspaces import ensure_workspace
from slack_standin import SlackStandin

TEAM = "T0CLIREV"
TOKEN = "xoxb-cli-reviews"


@pytest.fixture
def standin() -> Iterator[SlackStandin]:
    with SlackStandin(team_id=TEAM, bot_token=TOKEN) as server:
        server.add_user(TEAM, "U0OWNER", "Olive Owner")
        yield server


@pytest.fixture
def database(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    engine = make_engine(url)
    upgrade(engine)
    with make_session_factory(engine).begin() as s:
        workspace_id = ensure_workspace(s, TEAM).id
        old = utcnow() - timedelta(days=200)
        apply_persona(s, workspace_id, PersonaSpec(name="Mary", key="mary", owner="U0OWNER"), author="t", now=old)
        apply_persona(s, workspace_id, PersonaSpec(name="Orphan Olga", key="olga"), author="t", now=old)
        apply_persona(s, workspace_id, PersonaSpec(name="Fresh Fiona", key="fiona", owner="U0OWNER"), author="t")
    engine.dispose()
    return url


def run(database: str, standin: SlackStandin, *args: str) -> tuple[int, str, str]:
    env = {"DATABASE_URL": database, "SLACK_TEAM_ID": TEAM, "SLACK_BOT_TOKEN": TOKEN, "SLACK_API_URL": standin.api_url}
    result = CliRunner().invoke(cli, ["reviews", *args], env=env)
    return result.exit_code, result.stdout, result.stderr


def test_lists_overdue_reviews_and_sends_each_once(database: str, standin: SlackStandin) -> None:
    code, out, _ = run(database, standin)
    assert code == 0
    assert "2 persona reviews overdue" in out and "Fresh Fiona" not in out
    assert "Orphan Olga  owner no owner" in out and "not asked yet" in out
    code, out, _ = run(database, standin, "--send")
    assert code == 0 and out.startswith("1 review request sent") and "owner asked" in out
    code, out, _ = run(database, standin, "--send")
    assert code == 0 and out.startswith("0 review requests sent")
    assert len(standin.messages(standin.dm_channel_id("U0OWNER"))) == 1
