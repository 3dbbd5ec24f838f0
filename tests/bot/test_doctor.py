"""`persona-bot doctor` against the Slack stand-in: a line per check, ✓ or what to fix, exit 1 when one fails."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from slack_sdk.oauth.installation_store import Installation
from sqlalchemy import Engine, inspect, text
from sqlalchemy.orm import Session, sessionmaker

from bot.cli import cli
from bot.clock.jobs import record_clock_tick
from bot.config import Settings
from bot.slack.oauth import BOT_SCOPES, installation_store
from persona_store.clock import record_tick
from persona_store.db import make_engine, make_session_factory, upgrade
from persona_store.models import RosterMember, utcnow
from persona_store.persona_spec import PersonaSpec
from persona_store.personas import apply_persona
from persona_store.workspaces import ensure_workspace
from slack_standin import SlackStandin

TEAM = "T0DOCTOR"
TOKEN = "xoxb-doctor"


@pytest.fixture
def standin() -> Iterator[SlackStandin]:
    with SlackStandin(team_id=TEAM, bot_token=TOKEN) as server:
        yield server


def url_of(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def seed(
    sessions: sessionmaker[Session], team: str = TEAM, *, owner: str | None = "U0OWNER", tick: bool = True
) -> None:
    with sessions.begin() as s:
        workspace_id = ensure_workspace(s, team).id
        s.add(RosterMember(workspace_id=workspace_id, slack_user_id="U0REP", name="Rita Rep", role="sales"))
        apply_persona(s, workspace_id, PersonaSpec(name="Mary", key="mary", owner=owner), author="t")
        if tick:
            record_tick(s, utcnow())


def doctor(standin: SlackStandin, database: str, **env: str) -> tuple[int, list[str], str]:
    full = {
        "DATABASE_URL": database,
        "SLACK_API_URL": standin.api_url,
        "SLACK_BOT_TOKEN": TOKEN,
        "SLACK_SIGNING_SECRET": "doctor-secret",
        "SLACK_APP_TOKEN": "",
        "SLACK_TEAM_ID": "",
        "SLACK_CLIENT_ID": "",
        "SLACK_CLIENT_SECRET": "",
        **env,
    }
    result = CliRunner().invoke(cli, ["doctor"], env=full)
    assert "Traceback" not in result.output + result.stderr
    return result.exit_code, result.stdout.splitlines(), result.stderr.strip()


def line(lines: list[str], words: str) -> str:
    found = [entry for entry in lines if words in entry]
    assert len(found) == 1, f"{words!r} not in exactly one of:\n" + "\n".join(lines)
    return found[0]


def test_a_good_setup_passes_every_check_with_a_tick_each(standin: SlackStandin, engine: Engine) -> None:
    seed(make_session_factory(engine))
    code, lines, err = doctor(standin, url_of(engine))
    assert code == 0, "\n".join(lines) + err
    assert line(lines, "signing secret").startswith("✓")
    assert line(lines, "the bot token works").startswith("✓") and TEAM in line(lines, "bot token works")
    assert line(lines, "granted scopes cover").startswith("✓")
    assert line(lines, "database is reachable").startswith("✓")
    assert line(lines, "migrated to the latest revision").startswith("✓")
    assert line(lines, "has 1 person").startswith("✓")
    assert line(lines, "has an owner (1 persona)").startswith("✓")
    assert line(lines, "the clock ticked").startswith("✓")
    assert line(lines, "SLACK_APP_TOKEN is not set").startswith("–"), "only `socket` needs it: a note, not a failure"
    assert lines[-1].startswith("all ") and lines[-1].endswith("checks passed")
    assert [c.method for c in standin.calls()] == ["auth.test"]


def test_a_missing_scope_names_the_scope_and_how_to_add_it(standin: SlackStandin, engine: Engine) -> None:
    seed(make_session_factory(engine))
    standin.grant_scopes(TOKEN, [s for s in BOT_SCOPES if s != "im:history"])
    code, lines, err = doctor(standin, url_of(engine))
    assert code == 1
    scopes = line(lines, "lacks")
    assert scopes.startswith("✗ the bot token lacks im:history: add it under OAuth & Permissions")
    assert "reinstall" in scopes
    assert err == "Error: 1 check of 8 failed"


@pytest.mark.parametrize(
    ("error", "fix"),
    [("token_revoked", "reinstall the app"), ("invalid_auth", "copy the Bot User OAuth Token (xoxb-…)")],
)
def test_a_revoked_or_wrong_bot_token_is_refused_with_what_to_do(
    standin: SlackStandin, sqlite_engine: Engine, error: str, fix: str
) -> None:
    seed(make_session_factory(sqlite_engine))
    standin.revoke_token(TOKEN, error=error)
    code, lines, _ = doctor(standin, url_of(sqlite_engine))
    assert code == 1
    refused = line(lines, "Slack refused the bot token")
    assert refused.startswith(f"✗ Slack refused the bot token ({error}): ") and fix in refused
    assert not any("granted scopes" in entry for entry in lines), "no scope verdict for a token Slack refused"
    assert line(lines, "has 1 person").startswith("✓"), "the data checks still run, for the workspaces on record"


def test_no_bot_token_and_no_signing_secret_each_say_what_to_set(standin: SlackStandin, sqlite_engine: Engine) -> None:
    seed(make_session_factory(sqlite_engine))
    code, lines, _ = doctor(standin, url_of(sqlite_engine), SLACK_BOT_TOKEN="", SLACK_SIGNING_SECRET="")
    assert code == 1
    assert line(lines, "SLACK_SIGNING_SECRET is not set").startswith("✗")
    assert line(lines, "SLACK_BOT_TOKEN is not set").startswith("✗")


def test_slack_unreachable_is_a_line_not_a_traceback(sqlite_engine: Engine) -> None:
    with SlackStandin(team_id=None) as gone:
        api_url = gone.api_url
    seed(make_session_factory(sqlite_engine))
    with SlackStandin(team_id=None) as other:
        code, lines, _ = doctor(other, url_of(sqlite_engine), SLACK_API_URL=api_url)
    assert code == 1
    assert line(lines, "Slack is unreachable at").startswith("✗")


def test_the_app_token_is_checked_with_apps_connections_open(standin: SlackStandin, sqlite_engine: Engine) -> None:
    seed(make_session_factory(sqlite_engine))
    standin.add_app_token("xapp-good")
    code, lines, _ = doctor(standin, url_of(sqlite_engine), SLACK_APP_TOKEN="xapp-good")
    assert code == 0 and line(lines, "app token works").startswith("✓")
    code, lines, _ = doctor(standin, url_of(sqlite_engine), SLACK_APP_TOKEN="xapp-typo")
    assert code == 1
    assert line(lines, "Slack refused the app token (invalid_auth): create an app-level token with connections:write")


def test_an_unmigrated_database_says_to_upgrade(standin: SlackStandin, tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path / 'old.db'}"
    engine = make_engine(database)
    upgrade(engine, "0002_oauth")
    engine.dispose()
    code, lines, _ = doctor(standin, database)
    assert code == 1
    assert line(lines, "the code needs").startswith("✗ the database is at 0002_oauth, the code needs ")
    assert "run persona-bot db upgrade" in line(lines, "the code needs")
    assert line(lines, "not checked").startswith("–")
    empty = f"sqlite:///{tmp_path / 'empty.db'}"
    code, lines, _ = doctor(standin, empty)
    assert code == 1 and line(lines, "no tables yet: run persona-bot db upgrade").startswith("✗")
    engine = make_engine(empty)
    assert inspect(engine).get_table_names() == [], "the doctor reports what it finds; it never migrates"
    engine.dispose()


@pytest.mark.parametrize(
    ("database", "reason"),
    [
        ("not a url", "DATABASE_URL is not a database URL"),
        ("postgresql://u@127.0.0.1:99999/x", "DATABASE_URL has port 99999"),
        ("mysql://u@localhost/x", "DATABASE_URL starts with mysql://"),
        ("postgresql://postgres@127.0.0.1:1/x", "cannot reach the database"),
    ],
)
def test_a_database_that_cannot_be_used_is_one_line(standin: SlackStandin, database: str, reason: str) -> None:
    code, lines, _ = doctor(standin, database)
    assert code == 1
    assert line(lines, reason).startswith("✗")


def test_an_empty_roster_and_an_ownerless_persona_are_named(standin: SlackStandin, engine: Engine) -> None:
    sessions = make_session_factory(engine)
    seed(sessions, owner=None)
    with sessions.begin() as s:
        s.execute(text("UPDATE roster_members SET active = false"))
    code, lines, _ = doctor(standin, url_of(engine))
    assert code == 1
    assert line(lines, "roster of").startswith(f"✗ the roster of {TEAM} is empty")
    assert line(lines, "no owner").startswith(f"✗ 1 persona has no owner in {TEAM}: Mary; set one with /persona edit")


def test_a_clock_that_never_ticked_or_stopped_is_a_failure(standin: SlackStandin, sqlite_engine: Engine) -> None:
    sessions = make_session_factory(sqlite_engine)
    seed(sessions, tick=False)
    code, lines, _ = doctor(standin, url_of(sqlite_engine))
    assert code == 1 and line(lines, "the clock has never ticked").startswith("✗")
    with sessions.begin() as s:
        record_tick(s, utcnow() - timedelta(hours=2))
    code, lines, _ = doctor(standin, url_of(sqlite_engine))
    assert code == 1 and line(lines, "the clock last ticked 120 minutes ago").startswith("✗")
    record_clock_tick(sqlite_engine)  # what every reconcile tick of `persona-bot scheduler` does
    code, lines, _ = doctor(standin, url_of(sqlite_engine))
    assert code == 0 and line(lines, "the clock ticked less than a minute ago").startswith("✓")


def test_oauth_mode_checks_every_installed_workspace(standin: SlackStandin, sqlite_engine: Engine) -> None:
    sessions = make_session_factory(sqlite_engine)
    standin.add_workspace("T0SECOND", "xoxb-second")
    standin.grant_scopes("xoxb-second", ["commands", "chat:write"])
    settings = Settings.from_env(
        {"SLACK_CLIENT_ID": standin.client_id, "SLACK_CLIENT_SECRET": standin.client_secret}
    ).with_overrides(slack_api_url=standin.api_url)
    store = installation_store(settings, sessions)
    for team, token in ((TEAM, TOKEN), ("T0SECOND", "xoxb-second")):
        store.save(Installation(app_id="A0STANDIN", team_id=team, team_name=team, bot_token=token, user_id="U0I"))
        seed(sessions, team)
    code, lines, _ = doctor(
        standin,
        url_of(sqlite_engine),
        SLACK_BOT_TOKEN="",
        SLACK_CLIENT_ID=standin.client_id,
        SLACK_CLIENT_SECRET=standin.client_secret,
    )
    assert code == 1
    assert line(lines, f"({TEAM}), as @").startswith("✓ the bot token works")
    assert line(lines, "(T0SECOND), as @").startswith("✓ the bot token works")
    assert line(lines, "[T0SECOND] the bot token lacks").startswith("✗")
    assert line(lines, f"[{TEAM}] the granted scopes cover").startswith("✓")
    assert len([entry for entry in lines if "has 1 person" in entry]) == 2
    assert {c.team_id for c in standin.calls("auth.test")} == {TEAM, "T0SECOND"}


def test_oauth_mode_with_no_install_says_where_to_install(standin: SlackStandin, sqlite_engine: Engine) -> None:
    code, lines, _ = doctor(
        standin,
        url_of(sqlite_engine),
        SLACK_BOT_TOKEN="",
        SLACK_CLIENT_ID=standin.client_id,
        SLACK_CLIENT_SECRET=standin.client_secret,
    )
    assert code == 1 and line(lines, "no workspace has installed persona-bot yet").startswith("✗")
