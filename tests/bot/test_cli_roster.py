"""`persona-bot roster import|add|remove|set|list`: merging, --replace, --dry-run, aliases, `;` files, emails
resolved through Slack (the stand-in), and a one-line reason with exit 1 for every problem."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from bot.cli import cli
from persona_store.db import make_engine, make_session_factory, upgrade
from persona_store.models import Persona, RosterMember
from persona_store.workspaces import ensure_workspace
from slack_standin import SlackStandin

TEAM = "T0ROSTER"
DEMO = Path(__file__).resolve().parents[2] / "bot" / "demo" / "data" / "roster.csv"


@pytest.fixture
def standin() -> Iterator[SlackStandin]:
    with SlackStandin(team_id=TEAM, bot_token="xoxb-roster") as server:
        server.add_user(TEAM, "U0ANN", "ann", "Ann Archer", tz="Europe/Lisbon", email="ann@example.com")
        server.add_user(TEAM, "U0BEN", "ben", "Ben Byrne", tz="Asia/Tokyo", email="ben@example.com")
        server.add_user(TEAM, "U0GONE", "gone", "Gone Person", deleted=True, email="gone@example.com")
        yield server


@pytest.fixture
def database(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    engine = make_engine(url)
    upgrade(engine)
    with make_session_factory(engine).begin() as s:
        ensure_workspace(s, TEAM)
    engine.dispose()
    return url


def run(database: str, *args: str, slack: SlackStandin | None = None) -> tuple[int, str, str]:
    env = {"DATABASE_URL": database, "SLACK_BOT_TOKEN": "", "SLACK_API_URL": "", "PERSONA_BOT_ADMINS": ""}
    if slack is not None:
        env.update(SLACK_BOT_TOKEN="xoxb-roster", SLACK_API_URL=slack.api_url, SLACK_TEAM_ID=TEAM)
    result = CliRunner().invoke(cli, ["--team", TEAM, *args], env=env)
    return result.exit_code, result.stdout, result.stderr


def members(database: str) -> dict[str, RosterMember]:
    engine = make_engine(database)
    try:
        with make_session_factory(engine)() as s:
            return {m.slack_user_id: m for m in s.scalars(select(RosterMember))}
    finally:
        engine.dispose()


def write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_a_one_line_import_merges_instead_of_deactivating_everyone(database: str, tmp_path: Path) -> None:
    code, out, err = run(database, "roster", "import", str(DEMO))
    assert code == 0, err
    assert out.strip() == "merged 6 roster rows from roster.csv: 6 added, 0 updated, 0 unchanged, 0 deactivated"
    one = write(tmp_path, "one.csv", "slack_user_id,role\nU0NEW1,Customer Success\n")
    code, out, err = run(database, "roster", "import", one)
    assert code == 0, err
    assert out.strip() == "merged 1 roster row from one.csv: 1 added, 0 updated, 0 unchanged, 0 deactivated"
    roster = members(database)
    assert sum(m.active for m in roster.values()) == 7
    assert roster["U0NEW1"].role == "success" and roster["U0NEW1"].name == "U0NEW1"


def test_replace_deactivates_the_missing_and_dry_run_writes_nothing(database: str, tmp_path: Path) -> None:
    assert run(database, "roster", "import", str(DEMO))[0] == 0
    one = write(tmp_path, "one.csv", "slack_user_id,role,manager\nU0DEMO002,CSM,yes\n")
    code, out, err = run(database, "roster", "import", one, "--replace", "--dry-run")
    assert code == 0, err
    lines = out.strip().splitlines()
    assert "~ U0DEMO002    role sales -> success, manager false -> true" in lines
    assert sum(line.endswith("deactivated") and line.startswith("- ") for line in lines) == 5
    assert lines[-1] == "dry run, nothing written: 1 row from one.csv: 0 added, 1 updated, 0 unchanged, 5 deactivated"
    assert all(m.active for m in members(database).values()) and members(database)["U0DEMO002"].role == "sales"
    code, out, err = run(database, "roster", "import", one, "--replace")
    assert code == 0, err
    assert out.strip() == "imported 1 roster row from one.csv: 0 added, 1 updated, 0 unchanged, 5 deactivated"
    assert [u for u, m in members(database).items() if m.active] == ["U0DEMO002"]


def test_semicolons_aliases_and_only_the_user_column(database: str, tmp_path: Path) -> None:
    text = (
        "slack_user_id;name;role;observer;timezone\n"
        "U0AE1;Alex;Account Executive;;Europe/Berlin\n"
        "U0SDR1;Sam;sdr;no;\n"
        "U0IMP1;Ida;Implementation;yes;\n"
        "U0MKT1;Mo;Product Marketing;;\n"
    )
    code, _, err = run(database, "roster", "import", write(tmp_path, "excel.csv", text))
    assert code == 0, err
    roster = members(database)
    assert {u: m.role for u, m in roster.items()} == {
        "U0AE1": "sales",
        "U0SDR1": "sales",
        "U0IMP1": "onboarding",
        "U0MKT1": "marketing",
    }
    assert roster["U0IMP1"].is_observer and roster["U0AE1"].timezone == "Europe/Berlin"
    code, _, err = run(database, "roster", "import", write(tmp_path, "ids.csv", "slack_user_id\nU0AE1\n"))
    assert code == 0, err
    assert members(database)["U0AE1"].role == "sales", "an id-only file keeps everyone's role"


def test_every_problem_in_a_file_is_named_at_once_with_exit_1(database: str, tmp_path: Path) -> None:
    bad = write(tmp_path, "bad.csv", "slack_user_id,role,manager\nnot-an-id,sales,\nU0X1,Wizard,\nU0X2,sales,maybe\n")
    code, out, err = run(database, "roster", "import", bad)
    assert code == 1 and out == ""
    assert "line 2: slack_user_id 'not-an-id' is not a Slack user id" in err
    assert "line 3: role 'Wizard'" in err and "line 4: manager 'maybe' must be true or false" in err
    assert err.startswith("Error: 3 problems, nothing imported:") and "Traceback" not in err
    code, _, err = run(database, "roster", "import", write(tmp_path, "nouser.csv", "name,role\nAnn,sales\n"))
    assert code == 1 and "the header needs a slack_user_id or an email column" in err
    assert members(database) == {}, "nothing half-written"


def test_emails_are_resolved_through_slack_with_names_and_zones(
    database: str, tmp_path: Path, standin: SlackStandin
) -> None:
    text = "email,role\nann@example.com,Customer Success\nBEN@example.com,AE\ngone@example.com,sales\n"
    code, out, err = run(database, "roster", "import", write(tmp_path, "emails.csv", text), slack=standin)
    assert code == 0, err
    assert "3 added" in out and "note: Slack says U0GONE is deactivated" in out
    roster = members(database)
    assert (roster["U0ANN"].name, roster["U0ANN"].role, roster["U0ANN"].timezone) == (
        "Ann Archer",
        "success",
        "Europe/Lisbon",
    )
    assert roster["U0BEN"].timezone == "Asia/Tokyo" and roster["U0GONE"].slack_deactivated_at is not None
    assert len(standin.calls("users.lookupByEmail")) == 3


def test_an_email_slack_does_not_know_names_the_line(database: str, tmp_path: Path, standin: SlackStandin) -> None:
    text = "email\nann@example.com\nnobody@example.com\n"
    code, _, err = run(database, "roster", "import", write(tmp_path, "e.csv", text), slack=standin)
    assert code == 1
    assert "line 3: no Slack user in this workspace has the email nobody@example.com" in err
    assert members(database) == {}


def test_a_missing_scope_says_which_scope(database: str, tmp_path: Path, standin: SlackStandin) -> None:
    standin.fail("users.lookupByEmail", 200, "missing_scope")
    code, _, err = run(database, "roster", "add", "ann@example.com", "--role", "cs", slack=standin)
    assert code == 1
    assert (
        err.strip()
        .splitlines()[-1]
        .endswith("Slack refused users.lookupByEmail (missing_scope): add the users:read.email scope and reinstall")
    )


def test_emails_without_slack_are_refused_in_one_line(database: str) -> None:
    code, _, err = run(database, "roster", "add", "ann@example.com")
    assert code == 1 and "emails are looked up in Slack: set SLACK_BOT_TOKEN" in err


def test_add_set_and_remove_one_person(database: str, standin: SlackStandin) -> None:
    code, out, err = run(database, "roster", "add", "<@U0ANN>", "--role", "Customer Success", slack=standin)
    assert code == 0, err
    assert out.splitlines()[-1] == "roster: 1 added, 0 updated, 0 unchanged, 0 deactivated"
    assert members(database)["U0ANN"].timezone == "Europe/Lisbon", "the zone comes from the Slack profile"
    code, out, err = run(database, "roster", "set", "U0ANN", "--observer", "--timezone", "Europe/Paris")
    assert code == 0, err
    assert out.strip() == "U0ANN Ann Archer: success, observer, Europe/Paris; not asked in check-ins"
    code, out, err = run(database, "roster", "set", "U0ANN", "--manager", "--not-observer")
    assert code == 0 and out.strip().endswith("success, manager, Europe/Paris; not asked in check-ins")
    code, out, _ = run(database, "roster", "list")
    assert "U0ANN" in out and "manager (not asked)" in out
    code, out, err = run(database, "roster", "remove", "U0ANN")
    assert code == 0 and out.strip() == "roster: 1 person deactivated"
    assert not members(database)["U0ANN"].active


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        (("set", "U0NOBODY", "--role", "sales"), "U0NOBODY is not on the roster: add them first"),
        (("set", "U0ANN"), "nothing to change: give --role"),
        (("add", "U0ANN", "--role", "wizard"), "role 'wizard' is not one of sales, success, onboarding, marketing"),
        (("add", "U0ANN", "--timezone", "Mars/Base"), "timezone 'Mars/Base' is not an IANA time zone"),
        (("add", "hello"), "'hello' is neither a Slack user id like U0123ABCD nor an email address"),
        (("remove", "U0NOBODY"), "U0NOBODY is not on the roster"),
    ],
)
def test_each_cli_problem_is_one_line_and_exit_1(database: str, args: tuple[str, ...], reason: str) -> None:
    code, _, err = run(database, "roster", *args)
    assert code == 1, err
    assert reason in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_persona_owners_may_be_emails(database: str, tmp_path: Path, standin: SlackStandin) -> None:
    text = "personas:\n  - name: Ops Olga\n    owner: ann@example.com\n  - name: Dev Dana\n    owner: U0BEN\n"
    path = write(tmp_path, "personas.yaml", text)
    code, _, err = run(database, "personas", "import", path)
    assert code == 1 and "owner ann@example.com is an email, and persona-bot has no working Slack token" in err
    code, _, err = run(database, "personas", "import", path, slack=standin)
    assert code == 0, err
    engine = make_engine(database)
    try:
        with make_session_factory(engine)() as s:
            assert {p.name: p.owner for p in s.scalars(select(Persona))} == {"Ops Olga": "U0ANN", "Dev Dana": "U0BEN"}
    finally:
        engine.dispose()
    unknown = write(tmp_path, "bad.yaml", "personas:\n  - name: Ops Olga\n    owner: nobody@example.com\n")
    code, _, err = run(database, "personas", "import", unknown, slack=standin)
    assert code == 1
    assert "Ops Olga: owner nobody@example.com is not a member of this Slack workspace" in err
