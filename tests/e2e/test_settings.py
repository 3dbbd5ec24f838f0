"""Workspace settings in Slack through the real server: `/persona settings` (admins), inline errors, the change
log, and a round that follows them (`persona-bot checkin …`); managers, marketing and observers are never asked."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator, Mapping
from typing import Any

import pytest
from sqlalchemy import select

from bot import ids
from bot.blocks.limits import assert_valid_view
from bot.blocks.settings import action_id, block_id
from persona_store.models import SettingsChange
from slack_standin import SlackStandin
from tests.e2e.conftest import E2E, STANDIN_TEAM, RunningBot, make_e2e, run_bot
from tests.e2e.harness import REPO_ROOT, BotProcess

pytestmark = pytest.mark.e2e

ADMIN = "U0SADMIN"


@pytest.fixture(scope="module")
def bot(standin: SlackStandin, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningBot]:
    with run_bot(standin, tmp_path_factory.mktemp("settings"), PERSONA_BOT_ADMINS=ADMIN) as running:
        yield running


@pytest.fixture
def e2e(standin: SlackStandin, bot: RunningBot) -> Iterator[E2E]:
    world = make_e2e(standin, bot)
    standin.add_user(STANDIN_TEAM, ADMIN, "admin")
    try:
        yield world
    finally:
        world.client.close()


def cli(env: Mapping[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=REPO_ROOT,
        env=BotProcess._environment(env, inherit=True),
        capture_output=True,
        text=True,
        timeout=60,
    )


def open_settings(e2e: E2E) -> dict[str, Any]:
    before = (e2e.standin.last_view(ADMIN) or {}).get("id")
    reply = e2e.client.command("settings", user_id=ADMIN)
    assert reply.status == 200 and not reply.body, reply.text
    # The modal opens right after the acknowledgement: wait for this one, not the one opened before it.
    view: dict[str, Any] = e2e.wait_for(
        lambda: (opened := e2e.standin.last_view(ADMIN)) is not None and opened["id"] != before and opened
    )
    assert view["callback_id"] == ids.VIEW_SETTINGS
    assert_valid_view(view)
    return view


def submit(e2e: E2E, view: dict[str, Any], answers: dict[str, Any]) -> dict[str, Any]:
    reply = e2e.client.view_submission_from(view, {action_id(k): v for k, v in answers.items()}, user_id=ADMIN)
    assert reply.status == 200, reply.text
    body: dict[str, Any] = reply.json()
    return body


def initial(view: dict[str, Any], name: str) -> Any:
    element = next(b["element"] for b in view["blocks"] if b.get("block_id") == block_id(name))
    if "initial_option" in element:
        return element["initial_option"]["value"]
    return element.get("initial_value")


def test_only_admins_change_settings(e2e: E2E) -> None:
    body = e2e.client.command("settings", user_id="U0SREP").json()
    assert body["response_type"] == "ephemeral" and "only persona-bot admins" in json.dumps(body["blocks"])
    view = open_settings(e2e)
    forged = e2e.client.view_submission_from(view, {}, user_id="U0SREP")
    assert forged.json()["response_action"] == "errors"
    with e2e.sessions() as s:
        assert (
            s.scalars(select(SettingsChange).where(SettingsChange.workspace_id == e2e.workspace_id())).first() is None
        )


def test_an_admin_changes_the_open_hour_and_it_is_recorded(e2e: E2E) -> None:
    view = open_settings(e2e)
    assert (initial(view, "open_hour"), initial(view, "reminder_days"), initial(view, "close_day")) == (
        "10",
        "3, 7",
        "14",
    )
    done = submit(e2e, view, {"open_hour": "9"})
    assert done["response_action"] == "update"
    assert_valid_view(done["view"])
    assert "open hour: 10 → *9*" in json.dumps(done["view"]["blocks"], ensure_ascii=False)
    with e2e.sessions() as s:
        (change,) = s.scalars(select(SettingsChange).where(SettingsChange.workspace_id == e2e.workspace_id()))
        assert (change.field, change.before, change.after, change.changed_by) == ("open_hour", "10", "9", ADMIN)
    again = open_settings(e2e)
    assert initial(again, "open_hour") == "9"
    assert f"by <@{ADMIN}>" in json.dumps(again["blocks"]), "the modal says who changed what last"
    unchanged = submit(e2e, again, {})
    assert "Nothing changed" in json.dumps(unchanged["view"]["blocks"], ensure_ascii=False)


def test_problems_come_back_next_to_their_fields(e2e: E2E) -> None:
    view = open_settings(e2e)
    body = submit(
        e2e,
        view,
        {
            "reminder_days": "3, 20",
            "close_day": "two weeks",
            "quiet_days": "2026-12-24\n24/12",
            "summary_to": "channel",
            "cadence": "weeks",
            "cadence_every": "40",
        },
    )
    assert body["response_action"] == "errors"
    errors = body["errors"]
    assert errors[block_id("close_day")] == "A whole number, please."
    assert "“24/12” is not a date like 2026-12-24" in errors[block_id("quiet_days")]
    assert "Choose the channel" in errors[block_id("summary_channel")]
    assert "1 to 12" in errors[block_id("cadence_every")]
    body = submit(e2e, view, {"reminder_days": "3, 20"})
    assert "must come before the close day (14)" in body["errors"][block_id("reminder_days")]
    with e2e.sessions() as s:
        query = select(SettingsChange).where(SettingsChange.workspace_id == e2e.workspace_id())
        assert s.scalars(query).first() is None, "nothing saved"


def test_the_round_follows_the_settings_and_never_asks_managers_or_observers(e2e: E2E, tmp_path: Any) -> None:
    e2e.seed_personas()
    roster = tmp_path / "roster.csv"
    roster.write_text(
        "slack_user_id;name;role;manager;observer\n"
        "U0SREP1;Rita;sales;;\n"
        "U0SREP2;Raj;Customer Success;;\n"
        "U0SMGR;Mia;sales;yes;\n"
        "U0SOBS;Oli;success;;yes\n"
        "U0SMKT;Max;Marketing;;\n",
        encoding="utf-8",
    )
    for user in ("U0SREP1", "U0SREP2", "U0SMGR", "U0SOBS", "U0SMKT"):
        e2e.standin.add_user(STANDIN_TEAM, user, user.lower(), tz="Europe/Berlin")
    env = {**e2e.bot.env, "SLACK_TEAM_ID": e2e.team_id, "SLACK_POST_RATE": "200", "CHECKIN_REMINDER_SPACING_HOURS": "0"}
    imported = cli(env, "roster", "import", str(roster))
    assert imported.returncode == 0, imported.stderr

    view = open_settings(e2e)
    done = submit(e2e, view, {"summary_to": "channel", "summary_channel": "C0SUMMARY", "max_reminders": "1"})
    assert done["response_action"] == "update", done

    opened = cli(env, "checkin", "open", "--quarter", "2026-Q4", "--due", "2026-12-18")
    assert opened.returncode == 0, opened.stderr
    invited = {str(c.params["channel"]) for c in e2e.standin.calls("chat.postMessage") if c.ok}
    assert invited == {"U0SREP1", "U0SREP2"}, "managers, observers and marketing are never asked"
    for _ in range(3):
        assert cli(env, "checkin", "remind").returncode == 0
    reminders = [
        c for c in e2e.standin.calls("chat.postMessage") if str(c.params.get("text", "")).startswith("Reminder")
    ]
    assert sorted(str(c.params["channel"]) for c in reminders) == ["U0SREP1", "U0SREP2"], "the cap of 1 holds"
    assert "a friendly reminder: your" in json.dumps(reminders[0].params.get("blocks")), "no '(1 of 2)' with a cap of 1"

    closed = cli(env, "checkin", "close")
    assert closed.returncode == 0, closed.stderr
    summary = e2e.wait_for(lambda: e2e.standin.messages("C0SUMMARY"))
    rates = next(
        b["text"]["text"] for b in summary[0]["blocks"] if "Response rate by role" in b.get("text", {}).get("text", "")
    )
    assert rates.count("0 % (0 answered of 1: 1 asked − 0 skipped)") == 2, rates
    assert "Marketing" not in rates, "nobody who was never asked is counted as silent"
    status = cli(env, "checkin", "status")
    assert "U0SMGR" not in status.stdout and "U0SOBS" not in status.stdout
