"""Many workspaces: the OAuth install through the real server and the stand-in's oauth.v2.access, and uninstall."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.config import Settings
from bot.slack.clients import SlackUnavailable
from bot.slack.oauth import InstalledSlackClients
from persona_store.models import Workspace, slack_bots
from persona_store.workspaces import find_workspace
from slack_standin import SlackStandin
from tests.e2e.conftest import RunningBot
from tests.e2e.oauth_helpers import client_for, get, install, oauth_bot

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def bot(standin: SlackStandin, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningBot]:
    yield from oauth_bot(standin, tmp_path_factory.mktemp("oauth"))


def installed_clients(bot: RunningBot, standin: SlackStandin) -> InstalledSlackClients:
    settings = Settings.from_env(bot.env)
    return InstalledSlackClients(settings, bot.sessions)


def test_install_exchanges_the_code_stores_the_token_and_serves_the_workspace(
    bot: RunningBot, standin: SlackStandin
) -> None:
    standin.clear()
    landing, token = install(standin, bot, "T0OAUTHA")
    assert landing.status == 200, landing.body
    exchange = standin.calls("oauth.v2.access")
    assert len(exchange) == 1 and exchange[0].ok
    with bot.sessions.begin() as s:
        workspace = find_workspace(s, "T0OAUTHA")
        assert workspace is not None and workspace.uninstalled_at is None and workspace.name == "Team T0OAUTHA"
        stored = s.execute(select(slack_bots.c.bot_token).where(slack_bots.c.team_id == "T0OAUTHA")).scalars().all()
    assert stored == [token]
    with client_for(standin, bot, "T0OAUTHA") as client:
        reply = client.command("help")
        assert reply.status == 200 and "/persona list" in reply.text
    assert [c.team_id for c in standin.calls("auth.test")][-1] == "T0OAUTHA", "the request used that team's token"
    clients = installed_clients(bot, standin)
    assert "T0OAUTHA" in clients.team_ids()
    assert clients.for_team("T0OAUTHA").auth_test()["team_id"] == "T0OAUTHA"


def test_a_forged_or_replayed_state_installs_nothing(bot: RunningBot, standin: SlackStandin) -> None:
    standin.register_oauth_code("code-forged", "T0FORGED", "xoxb-forged")
    page = get(bot, "/slack/oauth_redirect?code=code-forged&state=made-up")
    assert page.status >= 400
    assert not [c for c in standin.calls("oauth.v2.access") if c.params.get("code") == "code-forged"]
    with bot.sessions.begin() as s:
        assert find_workspace(s, "T0FORGED") is None


def test_a_refused_code_shows_the_failure_page(bot: RunningBot, standin: SlackStandin) -> None:
    page = get(bot, "/slack/install")
    state_cookie = page.headers["set-cookie"].split(";", 1)[0]
    state = state_cookie.split("=", 1)[1]
    failed = get(bot, f"/slack/oauth_redirect?code=never-issued&state={state}", cookie=state_cookie)
    assert failed.status >= 400


def home_of(standin: SlackStandin, team_id: str, user_id: str) -> dict[str, Any] | None:
    return standin.home_view(team_id, user_id)


def test_uninstall_stops_every_message_and_a_reinstall_restores_them(bot: RunningBot, standin: SlackStandin) -> None:
    install(standin, bot, "T0OAUTHB")
    clients = installed_clients(bot, standin)
    assert "T0OAUTHB" in clients.team_ids()
    with client_for(standin, bot, "T0OAUTHB") as client:
        for retry in (None, 1, 2):  # Slack retries events: the second and third deliveries change nothing
            reply = client.event({"type": "app_uninstalled"}, retry_num=retry, event_id="EvUNINSTALL1")
            assert reply.status == 200
        standin.wait_for(lambda: "T0OAUTHB" not in clients.team_ids())
        with bot.sessions.begin() as s:
            assert s.scalar(select(Workspace.uninstalled_at).where(Workspace.team_id == "T0OAUTHB")) is not None
            left = s.scalar(select(func.count()).select_from(slack_bots).where(slack_bots.c.team_id == "T0OAUTHB"))
        assert left == 0, "the workspace's tokens are forgotten"
        with pytest.raises(SlackUnavailable):
            clients.for_team("T0OAUTHB")
        standin.clear()
        client.app_home_opened("U0AFTER")
        client.command("help")
        assert not standin.calls("views.publish") and not standin.calls("chat.postMessage")

    landing, _ = install(standin, bot, "T0OAUTHB")
    assert landing.status == 200
    assert "T0OAUTHB" in clients.team_ids()
    with client_for(standin, bot, "T0OAUTHB") as client:
        client.app_home_opened("U0BACK")
        view = standin.wait_for(lambda: home_of(standin, "T0OAUTHB", "U0BACK"))
    assert "persona-bot" in json.dumps(view)


def test_revoking_only_user_tokens_keeps_the_workspace(bot: RunningBot, standin: SlackStandin) -> None:
    install(standin, bot, "T0OAUTHC")
    clients = installed_clients(bot, standin)
    with client_for(standin, bot, "T0OAUTHC") as client:
        client.event({"type": "tokens_revoked", "tokens": {"oauth": ["U0SOMEONE"]}})
        client.app_home_opened("U0STILL")
        standin.wait_for(lambda: home_of(standin, "T0OAUTHC", "U0STILL"))
        assert "T0OAUTHC" in clients.team_ids()
        client.event({"type": "tokens_revoked", "tokens": {"bot": ["UBOT"]}})
        standin.wait_for(lambda: "T0OAUTHC" not in clients.team_ids())
