"""A persona-bot in OAuth mode against the stand-in, and the browser half of Slack's install flow."""

from __future__ import annotations

import http.client
import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

from slack_standin import SignedSlackClient, SlackStandin
from tests.e2e.conftest import SIGNING_SECRET, RunningBot, run_bot


@dataclass(frozen=True)
class Page:
    status: int
    body: str
    headers: dict[str, str]


def get(bot: RunningBot, path: str, cookie: str | None = None) -> Page:
    parts = urlsplit(bot.url)
    conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=10)
    try:
        conn.request("GET", path, headers={"Cookie": cookie} if cookie else {})
        answer = conn.getresponse()
        return Page(
            answer.status, answer.read().decode("utf-8", "replace"), {k.lower(): v for k, v in answer.getheaders()}
        )
    finally:
        conn.close()


def oauth_bot(standin: SlackStandin, folder: Path, **extra: str) -> Iterator[RunningBot]:
    env = {
        "SLACK_BOT_TOKEN": "",  # OAuth mode: every workspace's token comes from the installation store
        "SLACK_CLIENT_ID": standin.client_id,
        "SLACK_CLIENT_SECRET": standin.client_secret,
        **extra,
    }
    with run_bot(standin, folder, **env) as running:
        yield running


def install(standin: SlackStandin, bot: RunningBot, team_id: str, installer: str = "U0INSTALLER") -> tuple[Page, str]:
    """Click "Add to Slack" on /slack/install, approve in Slack, land on /slack/oauth_redirect; returns that page."""
    page = get(bot, "/slack/install")
    assert page.status == 200, page.body
    link = re.search(r'href="([^"]*oauth/v2/authorize[^"]*)"', page.body)
    assert link is not None, page.body
    state = parse_qs(urlsplit(link.group(1).replace("&amp;", "&")).query)["state"][0]
    cookie = page.headers["set-cookie"].split(";", 1)[0]
    code = f"code-{secrets.token_hex(4)}"
    token = f"xoxb-{team_id.lower()}-{secrets.token_hex(4)}"
    standin.register_oauth_code(code, team_id, token, team_name=f"Team {team_id}", authed_user_id=installer)
    landing = get(bot, "/slack/oauth_redirect?" + urlencode({"code": code, "state": state}), cookie=cookie)
    return landing, token


def client_for(standin: SlackStandin, bot: RunningBot, team_id: str) -> SignedSlackClient:
    return SignedSlackClient(bot.url, SIGNING_SECRET, standin=standin, team_id=team_id)
