"""manifest.yml stays in sync with the code: everything it declares is handled, and it asks only for scopes we use."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
import yaml
from slack_bolt import App, BoltRequest
from sqlalchemy.orm import Session, sessionmaker

from bot import ids
from bot.app import create_app
from bot.config import Settings
from bot.services import Services
from slack_standin import SlackStandin

ROOT = Path(__file__).resolve().parent.parent
MANIFEST = yaml.safe_load((ROOT / "manifest.yml").read_text(encoding="utf-8"))
SECRET = "manifest-test-secret"

# The Web API methods the code calls, and the bot scope each needs.
SCOPES_BY_METHOD = {
    "chat_postMessage": "chat:write",
    "chat_postEphemeral": "chat:write",
    "chat_update": "chat:write",
    "conversations_open": "im:write",
    "conversations_history": "im:history",
    "users_info": "users:read",
    "users_list": "users:read",
    "users_lookupByEmail": "users:read.email",
    "files_upload_v2": "files:write",
    "files_info": "files:read",
    "usergroups_list": "usergroups:read",
    "usergroups_users_list": "usergroups:read",
    "conversations_members": "channels:read groups:read",  # public and private channels
}


@pytest.fixture
def standin() -> Iterator[SlackStandin]:
    with SlackStandin(team_id="T0TEST", bot_token="xoxb-test") as server:
        yield server


@pytest.fixture
def app(sessions: sessionmaker[Session], standin: SlackStandin) -> Iterator[App]:
    with ThreadPoolExecutor(1) as background:
        settings = Settings.from_env({}).with_overrides(
            slack_api_url=standin.api_url, slack_bot_token="xoxb-test", slack_signing_secret=SECRET
        )
        yield create_app(settings, Services.build(settings, sessions, background))


def dispatch(app: App, body: str, content_type: str) -> int:
    ts = str(int(time.time()))
    signature = "v0=" + hmac.new(SECRET.encode(), f"v0:{ts}:{body}".encode(), hashlib.sha256).hexdigest()
    headers = {"content-type": content_type, "x-slack-signature": signature, "x-slack-request-timestamp": ts}
    return app.dispatch(BoltRequest(body=body, headers=headers)).status


def test_every_declared_slash_command_is_handled(app: App, standin: SlackStandin) -> None:
    commands = [c["command"] for c in MANIFEST["features"]["slash_commands"]]
    assert commands == [ids.COMMAND]
    body = urlencode(
        {
            "command": ids.COMMAND,
            "text": "help",
            "team_id": "T0TEST",
            "user_id": "U0REP",
            "channel_id": "C1",
            "response_url": "http://127.0.0.1:9/r",
            "trigger_id": "t",
        }
    )
    assert dispatch(app, body, "application/x-www-form-urlencoded") == 200


def test_every_declared_shortcut_is_handled(app: App, standin: SlackStandin) -> None:
    shortcuts = MANIFEST["features"]["shortcuts"]
    assert {s["callback_id"] for s in shortcuts} == {ids.SHORTCUT_LOG_FEEDBACK}
    for shortcut in shortcuts:
        payload: dict[str, Any] = {
            "type": "message_action" if shortcut["type"] == "message" else "shortcut",
            "callback_id": shortcut["callback_id"],
            "trigger_id": "t",
            "team": {"id": "T0TEST"},
            "user": {"id": "U0REP"},
            "channel": {"id": "C1"},
            "response_url": "http://127.0.0.1:9/r",
            "message": {"text": "hi", "ts": "1.0", "user": "U0X"},
            "message_ts": "1.0",
        }
        status = dispatch(app, urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded")
        assert status != 404, f"shortcut {shortcut['callback_id']} has no listener"


def test_every_subscribed_event_is_handled(app: App) -> None:
    for event_type in MANIFEST["settings"]["event_subscriptions"]["bot_events"]:
        event: dict[str, Any] = {"type": event_type, "user": "U0REP", "tab": "home", "event_ts": "1.0"}
        if event_type.startswith("message."):  # subscriptions name message events by channel type
            event.update(type="message", channel_type=event_type.partition(".")[2], channel="D0REP", text="hi")
        if event_type == "tokens_revoked":
            event["tokens"] = {"bot": ["UBOT"]}
        body = json.dumps(
            {
                "type": "event_callback",
                "team_id": "T0TEST",
                "api_app_id": "A1",
                "event": event,
                "event_id": "Ev1",
                "event_time": 1,
            }
        )
        assert dispatch(app, body, "application/json") != 404, f"event {event_type} has no listener"


def test_the_manifest_asks_for_exactly_the_scopes_the_code_uses() -> None:
    source = "\n".join(
        p.read_text(encoding="utf-8") for p in (ROOT / "bot").rglob("*.py") if "slack_standin" not in p.parts
    )
    used = {
        scope
        for method, scopes in SCOPES_BY_METHOD.items()
        if re.search(rf"\.{method}\(", source)
        for scope in scopes.split()
    }
    used.add("commands")
    assert set(MANIFEST["oauth_config"]["scopes"]["bot"]) == used


def test_interactivity_and_events_point_at_the_one_endpoint() -> None:
    settings = MANIFEST["settings"]
    assert settings["interactivity"]["is_enabled"] is True
    for url in (
        settings["interactivity"]["request_url"],
        settings["event_subscriptions"]["request_url"],
        *(c["url"] for c in MANIFEST["features"]["slash_commands"]),
    ):
        assert url.endswith("/slack/events")
