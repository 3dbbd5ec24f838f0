"""Admins per workspace, with two workspaces installed through OAuth on one persona-bot.

The installing user and Slack's own admins and owners are admins of their own workspace only; in OAuth mode
`PERSONA_BOT_ADMINS` gives nobody rights anywhere (one list can't name the admins of many workspaces).
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from slack_standin import SlackStandin
from tests.e2e.conftest import RunningBot
from tests.e2e.oauth_helpers import client_for, install, oauth_bot

pytestmark = pytest.mark.e2e

TEAM_A, TEAM_B = "T0ADMINSA", "T0ADMINSB"
INSTALLER_A, INSTALLER_B = "U0INSTA", "U0INSTB"
SLACK_ADMIN_A = "U0SLADMA"  # is_admin in A, a plain member of B
SLACK_OWNER_B = "U0SLOWNB"  # is_owner in B, a plain member of A
LISTED = "U0LISTED"  # in PERSONA_BOT_ADMINS, which OAuth mode ignores


@pytest.fixture(scope="module")
def bot(standin: SlackStandin, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningBot]:
    running = yield from oauth_bot(standin, tmp_path_factory.mktemp("admins"), PERSONA_BOT_ADMINS=LISTED)
    return running


@pytest.fixture(scope="module")
def installed(bot: RunningBot, standin: SlackStandin) -> RunningBot:
    for team, installer in ((TEAM_A, INSTALLER_A), (TEAM_B, INSTALLER_B)):
        landing, _ = install(standin, bot, team, installer=installer)
        assert landing.status == 200, landing.body
        for user in (INSTALLER_A, INSTALLER_B, LISTED):
            standin.add_user(team, user, user.lower())
    standin.add_user(TEAM_A, SLACK_ADMIN_A, "slack admin", is_admin=True)
    standin.add_user(TEAM_B, SLACK_ADMIN_A, "slack admin")
    standin.add_user(TEAM_B, SLACK_OWNER_B, "slack owner", is_owner=True)
    standin.add_user(TEAM_A, SLACK_OWNER_B, "slack owner")
    return bot


def is_admin_in(standin: SlackStandin, bot: RunningBot, team: str, user: str) -> bool:
    """`/persona reviews` is for admins only: whether `user` gets the list in `team`."""
    with client_for(standin, bot, team) as client:
        reply = client.command("reviews", user_id=user)
    assert reply.status == 200, reply.text
    text = json.dumps(reply.json()["blocks"])
    refused = "only available to persona-bot admins" in text
    assert refused or "reviews are overdue" in text or "overdue" in text, text
    return not refused


@pytest.mark.parametrize(
    ("user", "admin_of"),
    [
        (INSTALLER_A, {TEAM_A}),
        (INSTALLER_B, {TEAM_B}),
        (SLACK_ADMIN_A, {TEAM_A}),
        (SLACK_OWNER_B, {TEAM_B}),
        (LISTED, set()),
    ],
)
def test_admin_rights_hold_in_their_own_workspace_only(
    installed: RunningBot, standin: SlackStandin, user: str, admin_of: set[str]
) -> None:
    assert {team for team in (TEAM_A, TEAM_B) if is_admin_in(standin, installed, team, user)} == admin_of


def test_new_persona_form_opens_for_the_installer_only_in_their_workspace(
    installed: RunningBot, standin: SlackStandin
) -> None:
    standin.clear()
    with client_for(standin, installed, TEAM_B) as client:
        refused = client.command("new", user_id=INSTALLER_A)
    assert "views.open" not in [c.method for c in standin.calls()]
    assert "can't" in refused.text or "only" in refused.text, refused.text
    with client_for(standin, installed, TEAM_A) as client:
        opened = client.command("new", user_id=INSTALLER_A)
    assert opened.status == 200
    # The form opens right after the acknowledgement.
    standin.wait_for(lambda: standin.calls("views.open"))
    assert [c.team_id for c in standin.calls("views.open")] == [TEAM_A]
