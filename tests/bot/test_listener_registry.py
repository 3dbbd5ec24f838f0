"""Bolt runs only the first listener that matches: a second registration of the same id is dead code."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from slack_bolt import App
from sqlalchemy.orm import Session, sessionmaker

from bot import ids
from bot.app import create_app
from bot.config import Settings
from bot.listeners import home
from bot.services import Services

# Bolt's registration methods and the kind of id each one is keyed by.
KINDS = {
    "action": "action_id",
    "block_action": "action_id",
    "view": "callback_id",
    "view_submission": "callback_id",
    "view_closed": "callback_id (closed)",
    "shortcut": "callback_id (shortcut)",
    "global_shortcut": "callback_id (shortcut)",
    "message_shortcut": "callback_id (shortcut)",
    "options": "options",
    "command": "command",
    "event": "event",
    "message": "message",
}


def _key(constraint: Any) -> str:
    if isinstance(constraint, dict):
        return repr(sorted(constraint.items()))
    return getattr(constraint, "pattern", None) or str(constraint)


@pytest.fixture
def registrations(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[tuple[str, str]]]:
    """Every (kind, id) registered on any App while the test runs."""
    found: list[tuple[str, str]] = []

    def recording(method: str, original: Callable[..., Any]) -> Callable[..., Any]:
        def register(self: App, constraint: Any, *args: Any, **kwargs: Any) -> Any:
            found.append((KINDS[method], _key(constraint)))
            return original(self, constraint, *args, **kwargs)

        return register

    for method in KINDS:
        monkeypatch.setattr(App, method, recording(method, getattr(App, method)))
    yield found


def duplicates(found: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return sorted(key for key, count in Counter(found).items() if count > 1)


def build(sessions: sessionmaker[Session]) -> App:
    settings = Settings.from_env({}).with_overrides(slack_bot_token="xoxb-test", slack_signing_secret="s")
    with ThreadPoolExecutor(1) as background:
        return create_app(settings, Services.build(settings, sessions, background))


def test_no_action_view_command_or_event_is_registered_twice(
    sessions: sessionmaker[Session], registrations: list[tuple[str, str]]
) -> None:
    build(sessions)
    assert ("action_id", ids.ACTION_HOME_DOWNLOAD_REPORT) in registrations
    assert ("command", ids.COMMAND) in registrations and ("event", ids.EVENT_APP_HOME_OPENED) in registrations
    assert duplicates(registrations) == []


def test_the_check_catches_a_second_registration(
    sessions: sessionmaker[Session], registrations: list[tuple[str, str]]
) -> None:
    app = build(sessions)
    with ThreadPoolExecutor(1) as background:
        home.register(app, Services.build(Settings(), sessions, background))
    assert ("action_id", ids.ACTION_HOME_DOWNLOAD_REPORT) in duplicates(registrations)
