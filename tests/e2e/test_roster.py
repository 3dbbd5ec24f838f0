"""The roster in Slack through the real server: `/persona roster` adds people by @mention, email, user group or
channel, sets role/manager/observer, and the clock (`persona-bot scheduler`) keeps a linked group in sync."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select

from bot import ids
from bot.blocks.limits import assert_valid_blocks, assert_valid_view
from persona_store.models import RosterLink, RosterMember
from slack_standin import SlackStandin
from tests.e2e.conftest import E2E, STANDIN_TEAM, RunningBot, make_e2e, run_bot
from tests.e2e.harness import REPO_ROOT, BotProcess

pytestmark = pytest.mark.e2e

ADMIN = "U0RADMIN"


@pytest.fixture(scope="module")
def bot(standin: SlackStandin, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningBot]:
    with run_bot(standin, tmp_path_factory.mktemp("roster"), PERSONA_BOT_ADMINS=ADMIN) as running:
        yield running


@pytest.fixture
def e2e(standin: SlackStandin, bot: RunningBot) -> Iterator[E2E]:
    world = make_e2e(standin, bot)
    standin.add_user(STANDIN_TEAM, ADMIN, "admin")
    standin.add_user(STANDIN_TEAM, "U0RANN", "ann", "Ann Archer", tz="Europe/Lisbon", email="ann@example.com")
    standin.add_user(STANDIN_TEAM, "U0RBEN", "ben", "Ben Byrne", tz="Asia/Tokyo")
    standin.add_user(STANDIN_TEAM, "U0RCAT", "cat", "Cat Chen", tz="America/Chicago")
    standin.add_user(STANDIN_TEAM, "U0RDAN", "dan", "Dan Diaz", tz="Europe/Madrid")
    standin.add_user(STANDIN_TEAM, "U0RGONE", "gone", "Gone Person", tz="", deleted=True)
    try:
        yield world
    finally:
        world.client.close()


def open_roster(e2e: E2E, user_id: str = ADMIN) -> dict[str, Any]:
    before = (e2e.standin.last_view(user_id) or {}).get("id")
    reply = e2e.client.command("roster", user_id=user_id)
    assert reply.status == 200 and not reply.body, reply.text
    # The modal opens right after the acknowledgement: wait for this one, not the one opened before it.
    view: dict[str, Any] = e2e.wait_for(
        lambda: (opened := e2e.standin.last_view(user_id)) is not None and opened["id"] != before and opened
    )
    assert view["callback_id"] == ids.VIEW_ROSTER
    assert_valid_view(view)
    return view


def submit(e2e: E2E, view: dict[str, Any], answers: dict[str, Any], user_id: str = ADMIN) -> dict[str, Any]:
    reply = e2e.client.view_submission_from(view, answers, user_id=user_id)
    assert reply.status == 200, reply.text
    body: dict[str, Any] = reply.json()
    if body.get("response_action") == "update":
        assert_valid_view(body["view"])
    return body


def roster(e2e: E2E) -> dict[str, RosterMember]:
    with e2e.sessions() as s:
        query = select(RosterMember).where(RosterMember.workspace_id == e2e.workspace_id())
        return {m.slack_user_id: m for m in s.scalars(query)}


def test_only_admins_get_the_roster_form(e2e: E2E) -> None:
    reply = e2e.client.command("roster", user_id="U0RANN")
    body = reply.json()
    assert body["response_type"] == "ephemeral" and "only persona-bot admins" in json.dumps(body["blocks"])
    assert e2e.standin.last_view("U0RANN") is None
    view = open_roster(e2e)
    forged = e2e.client.view_submission_from(view, {ids.ROSTER_ACTION_PEOPLE: ["U0RANN"]}, user_id="U0RANN")
    assert forged.json()["response_action"] == "errors", "saving re-checks who is saving"
    assert roster(e2e) == {}


def test_an_admin_adds_a_rep_by_mention_with_name_and_zone_from_slack(e2e: E2E) -> None:
    view = open_roster(e2e)
    done = submit(e2e, view, {ids.ROSTER_ACTION_PEOPLE: ["U0RBEN"], ids.ROSTER_ACTION_ROLE: "success"})
    assert done["response_action"] == "update"
    assert "1* added" in json.dumps(done["view"]["blocks"])
    # The name and zone come from Slack's profile, read right after the form closes (not inside Slack's 3 s).
    ben = e2e.wait_for(lambda: (m := roster(e2e).get("U0RBEN")) is not None and m.name == "Ben Byrne" and m)
    assert (ben.name, ben.role, ben.timezone, ben.is_manager, ben.is_observer) == (
        "Ben Byrne",
        "success",
        "Asia/Tokyo",
        False,
        False,
    )
    again = open_roster(e2e)
    assert "*1* person on the roster: *1* asked in check-ins" in json.dumps(again["blocks"])


def test_by_email_and_every_problem_next_to_its_field(e2e: E2E) -> None:
    view = open_roster(e2e)
    empty = submit(e2e, view, {})
    assert empty == {
        "response_action": "errors",
        "errors": {ids.ROSTER_BLOCK_PEOPLE: empty["errors"][ids.ROSTER_BLOCK_PEOPLE]},
    }
    assert "Pick people" in empty["errors"][ids.ROSTER_BLOCK_PEOPLE]
    bad = submit(e2e, view, {ids.ROSTER_ACTION_EMAILS: "ann@example.com, not-an-email"})
    assert "not-an-email is not an email address" in bad["errors"][ids.ROSTER_BLOCK_EMAILS]
    unknown = submit(e2e, view, {ids.ROSTER_ACTION_EMAILS: "nobody@example.com"})
    assert (
        "no Slack user in this workspace has the email nobody@example.com" in unknown["errors"][ids.ROSTER_BLOCK_EMAILS]
    )
    e2e.standin.fail("users.lookupByEmail", 200, "missing_scope")
    scope = submit(e2e, view, {ids.ROSTER_ACTION_EMAILS: "ann@example.com"})
    assert "users:read.email" in scope["errors"][ids.ROSTER_BLOCK_EMAILS]
    assert roster(e2e) == {}, "nothing saved while there are problems"
    done = submit(e2e, view, {ids.ROSTER_ACTION_EMAILS: "ANN@example.com", ids.ROSTER_ACTION_ROLE: "sales"})
    assert done["response_action"] == "update"
    assert roster(e2e)["U0RANN"].role == "sales" and roster(e2e)["U0RANN"].timezone == "Europe/Lisbon"


def test_manager_observer_and_taking_people_off(e2e: E2E) -> None:
    view = open_roster(e2e)
    submit(e2e, view, {ids.ROSTER_ACTION_PEOPLE: ["U0RBEN", "U0RCAT"], ids.ROSTER_ACTION_ROLE: "sales"})
    submit(e2e, view, {ids.ROSTER_ACTION_PEOPLE: ["U0RCAT"], ids.ROSTER_ACTION_FLAGS: "observer"})
    submit(e2e, view, {ids.ROSTER_ACTION_PEOPLE: ["U0RBEN"], ids.ROSTER_ACTION_FLAGS: "manager"})
    people = roster(e2e)
    assert people["U0RCAT"].is_observer and people["U0RCAT"].role == "sales", "an empty role keeps the role"
    assert people["U0RBEN"].is_manager and not people["U0RBEN"].is_observer
    submit(e2e, view, {ids.ROSTER_ACTION_PEOPLE: ["U0RBEN"], ids.ROSTER_ACTION_ROLE: "success"})
    assert roster(e2e)["U0RBEN"].is_manager, "'as they are' changes only the role"
    assert roster(e2e)["U0RBEN"].role == "success"
    gone = submit(e2e, view, {ids.ROSTER_ACTION_PEOPLE: ["U0RCAT"], ids.ROSTER_ACTION_FLAGS: "remove"})
    assert "Taken off the roster: *1*" in json.dumps(gone["view"]["blocks"])
    assert not roster(e2e)["U0RCAT"].active
    stranger = submit(e2e, view, {ids.ROSTER_ACTION_PEOPLE: ["U0RDAN"], ids.ROSTER_ACTION_FLAGS: "remove"})
    assert "U0RDAN is not on the roster" in stranger["errors"][ids.ROSTER_BLOCK_PEOPLE]


def test_a_user_group_is_linked_and_the_clock_keeps_it_in_sync(e2e: E2E) -> None:
    e2e.standin.add_usergroup(STANDIN_TEAM, "S0SALES", "sales-team", ["U0RANN", "U0RBEN", "UBOT"])
    view = open_roster(e2e)
    no_role = submit(e2e, view, {ids.ROSTER_ACTION_GROUP: "@sales-team"})
    assert "Choose the role" in no_role["errors"][ids.ROSTER_BLOCK_ROLE]
    unknown = submit(e2e, view, {ids.ROSTER_ACTION_GROUP: "@nope", ids.ROSTER_ACTION_ROLE: "sales"})
    assert "Slack has no user group @nope" in unknown["errors"][ids.ROSTER_BLOCK_GROUP]
    done = submit(e2e, view, {ids.ROSTER_ACTION_GROUP: "@sales-team", ids.ROSTER_ACTION_ROLE: "sales"})
    assert "<!subteam^S0SALES> is linked as sales" in json.dumps(done["view"]["blocks"])
    e2e.wait_for(lambda: {"U0RANN", "U0RBEN"} <= set(roster(e2e)))
    assert {u: m.role for u, m in roster(e2e).items()} == {"U0RANN": "sales", "U0RBEN": "sales"}, "bots left out"

    # Dan joins and Ann leaves the group in Slack; the clock process notices on its next tick.
    e2e.standin.add_usergroup(STANDIN_TEAM, "S0SALES", "sales-team", ["U0RBEN", "U0RDAN"])
    env = {**e2e.bot.env, "SLACK_TEAM_ID": e2e.team_id, "SCHEDULER_TICK_SECONDS": "1"}
    clock = subprocess.Popen(
        [sys.executable, "-m", "bot", "scheduler"],
        cwd=REPO_ROOT,
        env=BotProcess._environment(env, inherit=True),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        e2e.wait_for(lambda: "U0RDAN" in roster(e2e) and not roster(e2e)["U0RANN"].active, timeout=30)
    finally:
        os.killpg(clock.pid, signal.SIGTERM)
        clock.wait(15)
    people = roster(e2e)
    assert people["U0RDAN"].role == "sales" and people["U0RDAN"].timezone == "Europe/Madrid"
    assert people["U0RBEN"].active

    # The admin stops syncing the group; its people stay on the roster.
    view = open_roster(e2e)
    stop = {ids.ROSTER_ACTION_GROUP: "@sales-team", ids.ROSTER_ACTION_FLAGS: "remove"}
    unlinked = submit(e2e, view, stop)
    assert "<!subteam^S0SALES> is no longer synced" in json.dumps(unlinked["view"]["blocks"])
    assert roster(e2e)["U0RDAN"].active
    again = submit(e2e, view, stop)
    assert "isn't linked" in again["errors"][ids.ROSTER_BLOCK_GROUP]


def test_a_channel_slack_cannot_show_is_a_problem_on_the_admins_home(e2e: E2E) -> None:
    view = open_roster(e2e)
    submit(e2e, view, {ids.ROSTER_ACTION_PEOPLE: ["U0RGONE", "U0RBEN"], ids.ROSTER_ACTION_ROLE: "onboarding"})
    done = submit(e2e, view, {ids.ROSTER_ACTION_CHANNEL: "C0PRIVATE", ids.ROSTER_ACTION_ROLE: "success"})
    assert done["response_action"] == "update"

    def link_error() -> str | None:
        with e2e.sessions() as s:  # a fresh session each time: one read transaction would keep its snapshot
            return s.scalar(select(RosterLink.last_error).where(RosterLink.slack_id == "C0PRIVATE"))

    e2e.wait_for(link_error)
    e2e.client.app_home_opened(ADMIN)
    home = e2e.wait_for(lambda: e2e.standin.home_view(STANDIN_TEAM, ADMIN))
    assert_valid_blocks(home["blocks"], surface="home")
    text = json.dumps(home["blocks"])
    assert "*2* people on the roster" in text
    assert "Deactivated in Slack but still on the roster: <@U0RGONE>" in text
    assert "No time zone (the default is used): <@U0RGONE>" in text
    assert "Could not sync C0PRIVATE" in text and "invite persona-bot to it" in text
    buttons = [e["action_id"] for b in home["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert ids.ACTION_HOME_ROSTER in buttons and ids.ACTION_HOME_SETTINGS in buttons
    e2e.client.app_home_opened("U0RBEN")
    rep_home = e2e.wait_for(lambda: e2e.standin.home_view(STANDIN_TEAM, "U0RBEN"))
    assert "Manage roster" not in json.dumps(rep_home["blocks"]), "only admins see the roster section"


def test_a_form_slack_refuses_to_open_gets_a_polite_answer(e2e: E2E) -> None:
    e2e.standin.fail("views.open", 200, "expired_trigger_id", times=2)
    for command in ("roster", "settings"):
        # The form opens after the acknowledgement; when Slack refuses it, the apology comes privately after.
        assert e2e.client.command(command, user_id=ADMIN).status == 200
    posts = e2e.wait_for(lambda: len(e2e.standin.response_posts()) >= 2 and e2e.standin.response_posts())
    for post in posts:
        body = post.payload
        assert body["response_type"] == "ephemeral" and "try the command again" in json.dumps(body["blocks"])
