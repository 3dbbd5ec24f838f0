"""`persona-bot personas import|export` with Markdown and CSV, every problem at once, and owners given as emails."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import cli
from persona_store.db import make_engine, make_session_factory, upgrade
from persona_store.personas import list_personas
from persona_store.workspaces import ensure_workspace
from slack_standin import SlackStandin

TEAM = "T0DOCS"
TOKEN = "xoxb-docs"


@pytest.fixture
def standin() -> Iterator[SlackStandin]:
    with SlackStandin(team_id=TEAM, bot_token=TOKEN) as server:
        server.add_user(TEAM, "U0MARYOWN", "Olive", email="olive@example.com")
        server.add_user(TEAM, "U0GONE", "Gone", email="gone@example.com", deleted=True)
        yield server


@pytest.fixture
def database(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'docs.db'}"
    engine = make_engine(url)
    upgrade(engine)
    with make_session_factory(engine).begin() as s:
        ensure_workspace(s, TEAM)
    engine.dispose()
    return url


def run(database: str, standin: SlackStandin | None, *args: str, token: str = TOKEN) -> tuple[int, str, str]:
    env = {"DATABASE_URL": database, "SLACK_TEAM_ID": TEAM, "SLACK_BOT_TOKEN": token}
    if standin is not None:
        env["SLACK_API_URL"] = standin.api_url
    result = CliRunner().invoke(cli, list(args), env=env)
    assert "Traceback" not in result.output + result.stderr
    return result.exit_code, result.stdout, result.stderr


def owners(database: str) -> dict[str, str | None]:
    engine = make_engine(database)
    with make_session_factory(engine).begin() as s:
        found = {p.name: p.owner for p in list_personas(s, ensure_workspace(s, TEAM).id)}
    engine.dispose()
    return found


def test_markdown_and_semicolon_csv_import_and_markdown_exports_and_reads_back(
    database: str, standin: SlackStandin, tmp_path: Path
) -> None:
    md = tmp_path / "personas.md"
    md.write_text("# Personas\n## Mary\n**Role:** CMO\n### Goals\n- Prove ROI\n## Fiona\nSigns off.\n", "utf-8")
    code, out, err = run(database, standin, "personas", "import", str(md))
    assert (code, out.strip()) == (0, "imported 2 personas from personas.md: 2 new, 0 changed, 0 unchanged"), err

    csv = tmp_path / "more.csv"
    csv.write_text('name;role;goals\nOps Olga;COO;"Fewer tools; One bill"\n', encoding="utf-8")
    code, out, err = run(database, standin, "personas", "import", str(csv))
    assert (code, out.strip()) == (0, "imported 1 persona from more.csv: 1 new, 0 changed, 0 unchanged"), err

    code, exported, err = run(database, standin, "personas", "export", "--format", "md")
    assert code == 0, err
    assert "## Ops Olga\n" in exported and "### Goals\n- Fewer tools\n- One bill\n" in exported
    again = tmp_path / "again.md"
    again.write_text(exported, encoding="utf-8")
    code, out, _ = run(database, standin, "personas", "import", str(again))
    assert out.strip() == "imported 3 personas from again.md: 0 new, 0 changed, 3 unchanged"
    code, _, err = run(database, standin, "personas", "export", "-o", str(tmp_path / "out.md"))
    assert code == 0 and err.strip() == f"wrote 3 personas to {tmp_path / 'out.md'}"
    assert (tmp_path / "out.md").read_text(encoding="utf-8") == exported


def test_an_import_lists_every_problem_and_imports_nothing(
    database: str, standin: SlackStandin, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "personas:\n"
        "  - name: Mary\n    status: gone\n    colour: red\n    goals: [ok, {a: 1}]\n"
        "  - role: CFO\n"
        "  - name: Mary\n    owner: bob\n"
        "  - name: Max\n    key: Not A Key\n    team_roles: [engineering]\n",
        encoding="utf-8",
    )
    code, out, err = run(database, standin, "personas", "import", str(bad))
    assert code == 1 and out == ""
    lines = err.strip().splitlines()
    assert lines[0] == "Error: 7 problems, nothing imported:"
    assert [line.split(":")[0].strip() for line in lines[1:]] == [
        "persona 1 (Mary)",
        "persona 1 (Mary)",
        "persona 1 (Mary)",
        "persona 2 (no name)",
        "persona 3 (Mary)",
        "persona 4 (Max)",
        "persona 4 (Max)",
    ]
    assert "more problem" not in err
    assert "unknown field 'colour'" in err and "goals item 2 must be text" in err and "key 'Not A Key'" in err
    assert owners(database) == {}


def test_owners_given_as_emails_are_looked_up_in_slack(database: str, standin: SlackStandin, tmp_path: Path) -> None:
    file = tmp_path / "p.csv"
    file.write_text("name,owner\nMary,Olive@Example.com\nFiona,U0FIONA\n", encoding="utf-8")
    code, _, err = run(database, standin, "personas", "import", str(file))
    assert code == 0, err
    assert owners(database) == {"Fiona": "U0FIONA", "Mary": "U0MARYOWN"}
    assert [c.params["email"] for c in standin.calls("users.lookupByEmail")] == ["olive@example.com"]


def test_emails_nobody_in_slack_has_are_each_named(database: str, standin: SlackStandin, tmp_path: Path) -> None:
    file = tmp_path / "p.csv"
    file.write_text("name,owner\nMary,nobody@example.com\nFiona,gone@example.com\nOlga,olive@example.com\n", "utf-8")
    code, _, err = run(database, standin, "personas", "import", str(file))
    assert code == 1
    assert err.strip().splitlines() == [
        "Error: 2 problems, nothing imported:",
        "  Mary: owner nobody@example.com is not a member of this Slack workspace",
        "  Fiona: owner gone@example.com belongs to a deactivated Slack user",
    ]
    assert owners(database) == {}


def test_without_a_slack_token_an_email_owner_says_what_to_do(database: str, tmp_path: Path) -> None:
    file = tmp_path / "p.yaml"
    file.write_text("personas:\n  - name: Mary\n    owner: olive@example.com\n", encoding="utf-8")
    code, _, err = run(database, None, "personas", "import", str(file), token="")
    assert code == 1
    assert err.strip() == (
        "Error: Mary: owner olive@example.com is an email, and persona-bot has no working Slack token to look it up "
        "(SLACK_BOT_TOKEN); give the Slack user id, like U0123ABCD, instead"
    )
