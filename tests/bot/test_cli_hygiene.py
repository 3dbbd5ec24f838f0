"""CLI problems from a new team's first week: `--team` typos, bad DATABASE_URLs. One line and exit 1 each."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from bot.cli import cli
from persona_store.db import make_engine, make_session_factory, upgrade
from persona_store.models import Workspace
from persona_store.workspaces import ensure_workspace
from slack_standin import SlackStandin

PERSONAS = "personas:\n  - name: Mary\n    owner: U0OWNER\n"


@pytest.fixture
def database(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    engine = make_engine(url)
    upgrade(engine)
    with make_session_factory(engine).begin() as s:
        ensure_workspace(s, "T0ONE")
        ensure_workspace(s, "T0TWO")
    engine.dispose()
    return url


def run(*args: str, **env: str) -> tuple[int, str, str]:
    base = {"SLACK_BOT_TOKEN": "", "SLACK_TEAM_ID": "", "SLACK_CLIENT_ID": "", "SLACK_CLIENT_SECRET": ""}
    result = CliRunner().invoke(cli, list(args), env={**base, **env})
    assert "Traceback" not in result.output + result.stderr
    return result.exit_code, result.stdout, result.stderr


def workspaces(url: str) -> list[str]:
    engine = make_engine(url)
    with make_session_factory(engine).begin() as s:
        names = list(s.scalars(select(Workspace.team_id).order_by(Workspace.team_id)))
    engine.dispose()
    return names


def test_an_unknown_team_is_refused_naming_the_known_ones_and_creates_nothing(database: str) -> None:
    code, _, err = run("--team", "TNOPE", "personas", "list", DATABASE_URL=database)
    assert code == 1
    assert err.strip() == "Error: no workspace TNOPE on record; known: T0ONE, T0TWO (pass one of them to --team)"
    assert workspaces(database) == ["T0ONE", "T0TWO"]
    code, out, err = run("--team", "t0one", "personas", "list", DATABASE_URL=database)
    assert code == 0, err
    assert "no personas yet" in out


def test_on_a_fresh_database_team_must_be_the_bot_tokens_own(tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path / 'fresh.db'}"
    (tmp_path / "p.yaml").write_text(PERSONAS, encoding="utf-8")
    code, _, err = run("--team", "T0TYPO", "personas", "import", str(tmp_path / "p.yaml"), DATABASE_URL=database)
    assert code == 1 and "no workspace T0TYPO on record, and none is yet" in err
    with SlackStandin(team_id="T0REAL", bot_token="xoxb-real") as standin:
        env = {"DATABASE_URL": database, "SLACK_BOT_TOKEN": "xoxb-real", "SLACK_API_URL": standin.api_url}
        code, _, err = run("--team", "T0TYPO", "personas", "import", str(tmp_path / "p.yaml"), **env)
        assert code == 1
        code, out, err = run("--team", "T0REAL", "personas", "import", str(tmp_path / "p.yaml"), **env)
        assert code == 0, err
    assert out.startswith("imported 1 persona from p.yaml:")
    assert workspaces(database) == ["T0REAL"]


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("not a url", "DATABASE_URL is not a database URL; it should look like postgresql://"),
        ("postgresql://user:secret@db.example.com:5x32/persona", "DATABASE_URL has a port that is not a number"),
        ("postgresql://user:secret@127.0.0.1:70000/persona", "DATABASE_URL has port 70000; ports are 1 to 65535"),
        ("mysql://user:secret@localhost/persona", "DATABASE_URL starts with mysql://; persona-bot runs on PostgreSQL"),
        ("postgresql+psycopg2://user:secret@localhost/persona", "DATABASE_URL asks for the psycopg2 driver"),
        ("postgresql://postgres:secret@127.0.0.1:1/persona", "cannot reach the database (connection failed"),
        ("postgresql://postgres:secret@no-such-host.invalid/persona", "cannot reach the database (failed to resolve"),
        ("sqlite:////no/such/folder/persona.db", "cannot reach the database (unable to open database file)"),
    ],
)
def test_every_database_url_problem_is_one_line_and_exit_1(url: str, reason: str) -> None:
    code, out, err = run("personas", "list", DATABASE_URL=url)
    assert code == 1 and out == ""
    assert len(err.strip().splitlines()) == 1, err
    assert err.startswith(f"Error: {reason}"), err
    assert "secret" not in err, "a password never reaches the terminal"
