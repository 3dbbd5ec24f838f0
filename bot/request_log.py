"""One structured log line per HTTP request: what kind of Slack request, its outcome and timing.

Never logs tokens, the signing secret, or anything a person typed: only ids, kinds and fixed subcommand words.
"""

from __future__ import annotations

import contextvars
import json
import logging
from typing import Any

KNOWN_SUBCOMMANDS = frozenset(
    {"", "help", "list", "feedback", "report", "edit", "new", "history", "checkin", "status", "reviews"}
)

_current: contextvars.ContextVar[dict[str, Any] | None] = contextvars.ContextVar("persona_bot_request", default=None)


def begin() -> dict[str, Any]:
    info: dict[str, Any] = {}
    _current.set(info)
    return info


def note(**fields: Any) -> None:
    """Add fields to the current request's log line (no-op outside a request)."""
    info = _current.get()
    if info is not None:
        info.update({k: v for k, v in fields.items() if v is not None})


def describe_request(body: dict[str, Any]) -> dict[str, Any]:
    """Kind, name, team and user of a Slack payload: ids only, never free text."""
    kind = body.get("type") or ("command" if "command" in body else None)
    fields: dict[str, Any] = {"kind": kind}
    if "command" in body:
        first = str(body.get("text") or "").strip().split(" ", 1)[0].lower()
        fields["target"] = body.get("command")
        fields["sub"] = first if first in KNOWN_SUBCOMMANDS else "search"
        fields["team"] = body.get("team_id")
        fields["user"] = body.get("user_id")
        return fields
    if kind == "block_actions":
        fields["target"] = ",".join(str(a.get("action_id")) for a in body.get("actions") or [])
    elif kind in ("view_submission", "view_closed"):
        fields["target"] = (body.get("view") or {}).get("callback_id")
    elif kind in ("message_action", "shortcut"):
        fields["target"] = body.get("callback_id")
    elif kind == "event_callback":
        fields["target"] = (body.get("event") or {}).get("type")
    fields["team"] = (body.get("team") or {}).get("id") or body.get("team_id")
    fields["user"] = (body.get("user") or {}).get("id") or (body.get("event") or {}).get("user")
    return fields


class JsonFormatter(logging.Formatter):
    """Logs as one JSON object per line, with any `extra=` fields we pass."""

    _standard = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}

    def format(self, record: logging.LogRecord) -> str:
        payload: dict[str, Any] = {
            "ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        payload.update({k: v for k, v in record.__dict__.items() if k not in self._standard and not k.startswith("_")})
        if record.exc_info:
            payload["traceback"] = self.formatException(record.exc_info)
        return json.dumps(payload, default=str, ensure_ascii=False)


def configure_logging(level: str = "INFO") -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # slack_sdk logs request bodies (with user text) at DEBUG; keep it quiet even when we debug.
    logging.getLogger("slack_sdk").setLevel(max(logging.INFO, logging.getLevelName(level)))
    logging.getLogger("waitress").setLevel(logging.WARNING)
    logging.getLogger("alembic").setLevel(logging.WARNING)  # "Running upgrade …" on every fresh database
