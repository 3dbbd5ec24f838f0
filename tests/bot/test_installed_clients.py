"""The clock works per installed workspace with that workspace's token, and never messages an uninstalled one."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from slack_sdk import WebClient
from slack_sdk.oauth.installation_store import Installation
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot.clock import jobs
from bot.clock.context import ClockContext
from bot.config import Settings
from bot.services import Services
from bot.slack.clients import SlackClients, SlackUnavailable
from bot.slack.oauth import InstalledSlackClients, installation_store
from persona_store.workspaces import list_workspaces
from slack_standin import SlackStandin

TEAMS = {"T0ALPHA": "xoxb-alpha", "T0BRAVO": "xoxb-bravo"}


@pytest.fixture
def standin() -> Iterator[SlackStandin]:
    with SlackStandin(team_id=None) as server:
        for team, token in TEAMS.items():
            server.add_workspace(team, token)
        yield server


def oauth_settings(standin: SlackStandin) -> Settings:
    return Settings().with_overrides(
        slack_api_url=standin.api_url, slack_client_id=standin.client_id, slack_client_secret=standin.client_secret
    )


def install_all(settings: Settings, sessions: sessionmaker[Session]) -> None:
    store = installation_store(settings, sessions)
    for team, token in TEAMS.items():
        store.save(Installation(app_id="A0STANDIN", team_id=team, team_name=team, bot_token=token, user_id="U0INST"))


def test_each_installed_workspace_gets_its_own_token_and_an_uninstalled_one_none(
    standin: SlackStandin, engine: Engine, sessions: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = oauth_settings(standin)
    install_all(settings, sessions)
    with sessions.begin() as s:
        assert sorted(w.team_id for w in list_workspaces(s)) == sorted(TEAMS), "an install records the workspace"
    clients = InstalledSlackClients(settings, sessions)
    seen: list[tuple[str, str]] = []

    def step(ctx: ClockContext, team_id: str) -> None:
        client: WebClient = ctx.slack.for_team(team_id)
        seen.append((team_id, str(client.auth_test()["team_id"])))

    with ThreadPoolExecutor(1) as pool:
        services = Services.build(settings, sessions, pool)
        ctx = ClockContext.of(services, clients, (step,))
        jobs.reconcile(ctx)
        assert sorted(seen) == [("T0ALPHA", "T0ALPHA"), ("T0BRAVO", "T0BRAVO")]

        assert services.installs.uninstalled("T0BRAVO") is True
        assert services.installs.uninstalled("T0BRAVO") is False, "a retried event changes nothing"
        seen.clear()
        jobs.reconcile(ctx)
    assert seen == [("T0ALPHA", "T0ALPHA")]
    with pytest.raises(SlackUnavailable):
        clients.for_team("T0BRAVO")
    with pytest.raises(SlackUnavailable):
        clients.for_team("T0NEVER")

    install_all(settings, sessions)  # a reinstall makes the workspace reachable again
    assert clients.team_ids() == ["T0ALPHA", "T0BRAVO"]


def test_single_workspace_mode_refuses_an_uninstalled_workspace_until_a_new_token_works(
    standin: SlackStandin, sessions: sessionmaker[Session]
) -> None:
    settings = Settings().with_overrides(slack_api_url=standin.api_url, slack_bot_token="xoxb-alpha")
    clients = SlackClients(settings, sessions)
    assert clients.team_ids() == ["T0ALPHA"]
    assert clients.for_team("T0ALPHA").auth_test()["team_id"] == "T0ALPHA"
    with ThreadPoolExecutor(1) as pool:
        Services.build(settings, sessions, pool).installs.uninstalled("T0ALPHA")
    standin.revoke_token("xoxb-alpha")  # what Slack does on an uninstall
    assert clients.team_ids() == []
    with pytest.raises(SlackUnavailable, match="uninstalled"):
        clients.for_team("T0ALPHA")

    standin.add_workspace("T0ALPHA", "xoxb-alpha-reinstalled")  # an admin reinstalls; the new token is deployed
    fresh = SlackClients(settings.with_overrides(slack_bot_token="xoxb-alpha-reinstalled"), sessions)
    assert fresh.team_ids() == ["T0ALPHA"]
    assert fresh.for_team("T0ALPHA").auth_test()["team_id"] == "T0ALPHA"
    with ThreadPoolExecutor(1) as pool:
        assert Services.build(settings, sessions, pool).installs.is_uninstalled("T0ALPHA") is False
