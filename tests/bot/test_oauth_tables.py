"""Our migration creates the OAuth tables exactly as slack-sdk's SQLAlchemy stores describe them."""

from __future__ import annotations

from pathlib import Path

import yaml
from click.testing import CliRunner
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from sqlalchemy import Engine, MetaData, Table, inspect, text

from bot.cli import cli
from bot.slack.oauth import BOT_SCOPES, REDIRECT_PATH
from persona_store.db import make_engine, upgrade
from persona_store.models import slack_bots, slack_installations, slack_oauth_states


def shape(table: Table) -> dict[str, tuple[str, bool, bool]]:
    return {c.name: (repr(c.type), bool(c.nullable), bool(c.primary_key)) for c in table.columns}


def test_declared_tables_match_slack_sdk() -> None:
    theirs = MetaData()
    pairs = [
        (slack_installations, SQLAlchemyInstallationStore.build_installations_table(theirs, "slack_installations")),
        (slack_bots, SQLAlchemyInstallationStore.build_bots_table(theirs, "slack_bots")),
        (slack_oauth_states, SQLAlchemyOAuthStateStore.build_oauth_states_table(theirs, "slack_oauth_states")),
    ]
    for ours, sdk in pairs:
        assert shape(ours) == shape(sdk), ours.name
        assert {i.name for i in ours.indexes} == {i.name for i in sdk.indexes}


def test_migrations_create_them_and_the_stores_work(engine: Engine) -> None:
    assert {"slack_installations", "slack_bots", "slack_oauth_states"} <= set(inspect(engine).get_table_names())
    states = SQLAlchemyOAuthStateStore(expiration_seconds=60, engine=engine)
    state = states.issue()
    assert states.consume(state) is True
    assert states.consume(state) is False, "a state is single-use"


def test_an_install_asks_for_exactly_the_manifests_bot_scopes() -> None:
    manifest = yaml.safe_load((Path(__file__).resolve().parents[2] / "manifest.yml").read_text(encoding="utf-8"))
    assert sorted(BOT_SCOPES) == sorted(manifest["oauth_config"]["scopes"]["bot"])
    assert manifest["oauth_config"]["redirect_urls"][0].endswith(REDIRECT_PATH)


def test_serve_in_oauth_mode_on_a_database_without_the_oauth_tables_says_to_upgrade(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    old = make_engine(url)
    upgrade(old, "0001")  # a database from before multi-workspace support, with data in it
    with old.begin() as conn:  # that day's columns, not today's model
        conn.execute(text("INSERT INTO workspaces (team_id, created_at) VALUES ('T0OLD', CURRENT_TIMESTAMP)"))
    old.dispose()
    env = {
        "DATABASE_URL": url,
        "SLACK_SIGNING_SECRET": "secret",
        "SLACK_CLIENT_ID": "1111.2222",
        "SLACK_CLIENT_SECRET": "standin-client-secret",
    }
    result = CliRunner().invoke(cli, ["serve", "--port", "0"], env=env)
    assert result.exit_code == 1
    assert "the OAuth tables are missing from the database; run `persona-bot db upgrade`" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
