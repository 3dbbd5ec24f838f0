"""`persona-bot export-user` and `delete-user`: JSON out, one-line summaries, a reason and exit 1 for bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import cli
from persona_store.db import make_engine, make_session_factory, upgrade
from persona_store.models import RosterMember
from persona_store.workspaces import ensure_workspace
from tests.reports_seed import seed_world


@pytest.fixture
def database(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    engine = make_engine(url)
    upgrade(engine)
    sessions = make_session_factory(engine)
    seed_world(sessions)
    with sessions.begin() as s:
        other = ensure_workspace(s, "T0OTHER").id
        s.add(RosterMember(workspace_id=other, slack_user_id="U0SALES2", name="Sara elsewhere", role="sales"))
    engine.dispose()
    return url


def run(database: str, *args: str, team: str = "T0REPORT", stdin: str | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["--team", team, *args], env={"DATABASE_URL": database}, input=stdin)
    return result.exit_code, result.stdout, result.stderr


def test_export_prints_json_and_a_summary_line(database: str) -> None:
    code, out, err = run(database, "export-user", "U0SALES2")
    assert code == 0, err
    data = json.loads(out)
    assert data["roster"]["name"] == "Sara Sales" and len(data["feedback"]) == 4
    assert err.strip() == "exported U0SALES2 from T0REPORT: 4 feedback, 1 check-in"
    code, out, _ = run(database, "export-user", "U0SALES2", team="T0OTHER")
    assert code == 0 and json.loads(out)["roster"]["name"] == "Sara elsewhere" and json.loads(out)["feedback"] == []


def test_delete_asks_then_anonymises_and_leaves_other_workspaces_alone(database: str) -> None:
    code, _, err = run(database, "delete-user", "U0SALES2", stdin="n\n")
    assert code == 1 and "Aborted" in err
    assert run(database, "export-user", "U0SALES2")[0] == 0, "nothing was deleted"
    code, out, err = run(database, "delete-user", "U0SALES2", "--yes")
    assert code == 0, err
    assert out.startswith("deleted U0SALES2 from T0REPORT: 1 roster row removed, 4 feedback, 1 check-in,")
    assert "; anonymised as deleted-" in out and len(out.strip().splitlines()) == 1
    code, _, err = run(database, "export-user", "U0SALES2")
    assert code == 1 and "nothing about U0SALES2 is on record in workspace T0REPORT" in err
    assert run(database, "export-user", "U0SALES2", team="T0OTHER")[0] == 0


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        (("export-user", "U0NOBODY"), "nothing about U0NOBODY is on record in workspace T0REPORT"),
        (("delete-user", "U0NOBODY", "--yes"), "nothing about U0NOBODY is on record in workspace T0REPORT"),
        (("export-user", "bob"), "isn't a Slack user id"),
        (("delete-user", "'; drop table feedback; --", "--yes"), "isn't a Slack user id"),
    ],
)
def test_bad_input_exits_1_with_one_line(database: str, args: tuple[str, ...], reason: str) -> None:
    code, out, err = run(database, *args)
    assert code == 1 and reason in err and "Traceback" not in err and out == ""
    assert len(err.strip().splitlines()) == 1
