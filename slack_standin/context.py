"""What a Web API method is handed: the call's parameters, the caller's workspace, and the stand-in's settings.

Each method family (`chat`, `conversations`, `users`, …) exports `METHODS`, a table of method name to a function
`(world, ctx) -> fields`; it runs with the world's lock held and returns what goes beside `"ok": true`, or raises
`Refusal` for an `ok: false` answer.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from bot.blocks.limits import Problem
from slack_standin.state import Workspace, World

__all__ = ["Context", "Method", "Refusal", "Settings"]


class Settings(Protocol):
    """The knobs a test may turn on a running stand-in (`standin.trigger_ttl = 0.05`)."""

    host: str
    port: int
    trigger_ttl: float
    response_url_ttl: float
    response_url_max_uses: int
    client_id: str
    client_secret: str
    deleted_user_dm_error: str | None

    @property
    def base_url(self) -> str: ...


class Refusal(Exception):
    """An `ok: false` answer."""

    def __init__(self, error: str, messages: list[str] | None = None) -> None:
        super().__init__(error)
        self.error = error
        self.messages = messages


@dataclass
class Context:
    method: str
    params: dict[str, Any]
    workspace: Workspace | None
    settings: Settings
    problems: list[Problem] | None = None  # Block Kit problems, found before taking the lock
    basic_auth: tuple[str, str] | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def team(self) -> Workspace:
        assert self.workspace is not None
        return self.workspace

    def text(self, name: str, *, required: bool = False) -> str | None:
        value = self.params.get(name)
        if value is None or value == "":
            if required:
                raise Refusal("invalid_arguments", [f"[ERROR] missing required field: {name}"])
            return None
        return str(value)

    def required(self, name: str) -> str:
        value = self.text(name, required=True)
        assert value is not None
        return value

    def flag(self, name: str) -> bool:
        """A boolean parameter as Slack reads it: true, 1 (slack-sdk sends 1/0 or True/False)."""
        return str(self.params.get(name)).strip().lower() in ("1", "true")

    def limit(self, default: int) -> int:
        """The `limit` parameter as a whole number (`default` when absent); `invalid_limit` otherwise."""
        try:
            return int(self.params.get("limit") or default)
        except ValueError:
            raise Refusal("invalid_limit") from None

    def ts(self, name: str, default: str) -> float:
        raw = self.text(name) or default
        try:
            return float(raw)
        except ValueError:
            raise Refusal(f"invalid_ts_{name}") from None

    def cursor(self) -> str | None:
        """The decoded `cursor` parameter (None when absent); `invalid_cursor` when it is not base64 text."""
        cursor = self.text("cursor")
        if not cursor:
            return None
        try:
            return base64.b64decode(cursor, validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            raise Refusal("invalid_cursor") from None


def next_cursor(position: str) -> str:
    """The opaque `response_metadata.next_cursor` for a page that continues at `position`."""
    return base64.b64encode(position.encode()).decode()


Method = Callable[[World, Context], dict[str, Any]]
