"""Who may do what (bot/services/access.py) and Slack's own roles (bot/slack_roles.py), with two workspaces."""

from __future__ import annotations

from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web import SlackResponse
from sqlalchemy import insert
from sqlalchemy.orm import Session, sessionmaker

from bot.config import Settings
from bot.services.access import Access
from bot.slack.roles import SlackRoleCache
from persona_store.models import slack_installations, utcnow

SINGLE = Settings(admins=frozenset({"U0LISTED"}))
OAUTH = Settings(admins=frozenset({"U0LISTED"}), slack_client_id="1.2", slack_client_secret="s")


class Roles:
    def __init__(self, admins: set[tuple[str, str]]) -> None:
        self.admins = admins

    def is_workspace_admin(self, team_id: str, user_id: str) -> bool:
        return (team_id, user_id) in self.admins


def installed_by(sessions: sessionmaker[Session], team_id: str, user_id: str) -> None:
    with sessions.begin() as s:
        s.execute(
            insert(slack_installations).values(
                client_id="1.2",
                app_id="A1",
                team_id=team_id,
                user_id=user_id,
                installed_at=utcnow().replace(tzinfo=None),
            )
        )


def test_the_listed_admins_count_in_single_workspace_mode_only(sessions: sessionmaker[Session]) -> None:
    assert Access(sessions, SINGLE).is_admin("T1", "U0LISTED")
    oauth = Access(sessions, OAUTH)
    assert not oauth.is_admin("T1", "U0LISTED") and not oauth.is_admin("T2", "U0LISTED")


def test_the_installer_is_an_admin_of_their_own_workspace(sessions: sessionmaker[Session]) -> None:
    installed_by(sessions, "T1", "U0INST1")
    installed_by(sessions, "T2", "U0INST2")
    access = Access(sessions, OAUTH)
    assert access.is_admin("T1", "U0INST1") and not access.is_admin("T2", "U0INST1")
    assert access.is_admin("T2", "U0INST2") and not access.is_admin("T1", "U0INST2")


def test_slack_admins_and_owners_are_admins_of_their_own_workspace(sessions: sessionmaker[Session]) -> None:
    for settings in (SINGLE, OAUTH):
        access = Access(sessions, settings, Roles({("T1", "U0SLACK")}))
        assert access.is_admin("T1", "U0SLACK") and not access.is_admin("T2", "U0SLACK")
        assert access.may_edit("T2", "U0OWNER", "U0OWNER"), "an owner edits their own persona anywhere it is theirs"
        assert not access.may_edit("T2", "U0SLACK", "U0OWNER")


class FakeClient:
    def __init__(self, users: dict[str, dict[str, Any]], fail: bool = False) -> None:
        self.users = users
        self.fail = fail
        self.calls = 0

    def users_info(self, user: str) -> dict[str, Any]:
        self.calls += 1
        if self.fail:
            response = SlackResponse(
                client=None,
                http_verb="POST",
                api_url="users.info",
                req_args={},
                data={"ok": False, "error": "fatal_error"},
                headers={},
                status_code=500,
            )
            raise SlackApiError("boom", response)
        return {"user": self.users[user]}


def test_roles_are_read_from_users_info_per_workspace_and_cached() -> None:
    now = [0.0]
    clients = {
        "T1": FakeClient({"U1": {"team_id": "T1", "is_admin": True}, "U2": {"team_id": "T1", "is_owner": True}}),
        "T2": FakeClient({"U1": {"team_id": "T2"}, "U2": {"team_id": "T2", "deleted": True, "is_owner": True}}),
    }
    roles = SlackRoleCache(lambda team: clients[team], ttl_seconds=300, clock=lambda: now[0])  # type: ignore[arg-type,return-value]
    assert roles.is_workspace_admin("T1", "U1") and roles.is_workspace_admin("T1", "U2")
    assert not roles.is_workspace_admin("T2", "U1") and not roles.is_workspace_admin("T2", "U2")
    for _ in range(5):
        roles.is_workspace_admin("T1", "U1")
    assert clients["T1"].calls == 2, "cached"
    now[0] = 301.0
    roles.is_workspace_admin("T1", "U1")
    assert clients["T1"].calls == 3, "asked again once the answer is old"


def test_a_failed_lookup_makes_nobody_an_admin_and_is_retried_soon() -> None:
    now = [0.0]
    client = FakeClient({}, fail=True)
    roles = SlackRoleCache(lambda team: client, ttl_seconds=300, clock=lambda: now[0])  # type: ignore[arg-type,return-value]
    assert not roles.is_workspace_admin("T1", "U1")
    assert not roles.is_workspace_admin("T1", "U1") and client.calls == 1
    now[0] = 11.0
    roles.is_workspace_admin("T1", "U1")
    assert client.calls == 2
