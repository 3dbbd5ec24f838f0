"""`/persona doctor` through the real `persona-bot serve` and the Slack stand-in: admins only, ephemeral."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from bot.clock.jobs import record_clock_tick
from bot.slack.oauth import BOT_SCOPES
from slack_standin import SlackStandin
from tests.e2e.conftest import BOT_TOKEN, E2E, RunningBot, make_e2e, run_bot

pytestmark = pytest.mark.e2e

ADMIN = "U0DOCADMIN"


@pytest.fixture(scope="module")
def bot(standin: SlackStandin, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningBot]:
    with run_bot(standin, tmp_path_factory.mktemp("doctor"), PERSONA_BOT_ADMINS=ADMIN) as running:
        yield running


@pytest.fixture
def e2e(standin: SlackStandin, bot: RunningBot) -> Iterator[E2E]:
    world = make_e2e(standin, bot)
    try:
        yield world
    finally:
        standin.grant_scopes(BOT_TOKEN, None)
        world.client.close()


def report_lines(e2e: E2E) -> list[str]:
    post = e2e.wait_for(lambda: [p for p in e2e.standin.response_posts() if "doctor" in json.dumps(p.payload)])[0]
    payload: dict[str, Any] = post.payload
    assert post.status == 200 and payload["response_type"] == "ephemeral"
    return [b["text"]["text"] for b in payload["blocks"] if b["type"] == "section"]


def test_an_admin_sees_every_check_of_this_workspace(e2e: E2E) -> None:
    e2e.seed_personas()
    e2e.seed_roster()
    record_clock_tick(e2e.bot.engine)
    ack = e2e.client.command("doctor", user_id=ADMIN)
    assert ack.status == 200 and "Checking the setup" in json.dumps(ack.json())
    lines = report_lines(e2e)
    text = "\n".join(lines)
    assert lines[0] == "*persona-bot doctor*"
    assert "✅ the bot token works" in text and "✅ the granted scopes cover everything persona-bot uses" in text
    assert "✅ the database is migrated to the latest revision" in text
    assert f"✅ the roster of {e2e.team_id} has " in text
    assert "✅ the clock ticked less than a minute ago" in text
    assert "❌" not in text


def test_a_missing_scope_shows_as_what_to_fix(e2e: E2E) -> None:
    e2e.seed_personas()
    e2e.seed_roster()
    e2e.standin.grant_scopes(BOT_TOKEN, [s for s in BOT_SCOPES if s != "files:write"])
    e2e.client.command("doctor", user_id=ADMIN)
    text = "\n".join(report_lines(e2e))
    assert "❌ the bot token lacks files:write: add it under OAuth &amp; Permissions" in text


def test_anyone_else_is_refused_and_nothing_is_checked(e2e: E2E) -> None:
    reply = e2e.client.command("doctor", user_id="U0NOTADMIN")
    assert reply.status == 200
    assert "only persona-bot admins can run `/persona doctor`" in json.dumps(reply.json())
    # Asking whether they are a Slack admin may call Slack (users.info); running the checks would post a report.
    assert not [c for c in e2e.standin.calls("users.info") if c.params.get("user") != "U0NOTADMIN"]
    assert not [p for p in e2e.standin.response_posts() if "doctor" in json.dumps(p.payload)]
    assert e2e.standin.calls("apps.connections.open") == []
