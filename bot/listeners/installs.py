"""`app_uninstalled` and `tokens_revoked`: stop every message to the workspace. Retries are harmless."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from slack_bolt import App

from bot.services import Services

log = logging.getLogger("persona_bot.installs")


@dataclass(frozen=True)
class Revocation:
    team_id: str
    kind: str  # app_uninstalled | tokens_revoked
    bot_revoked: bool


def parse_revocation(body: dict[str, Any]) -> Revocation:
    event = body.get("event") or {}
    kind = str(event.get("type") or "")
    bots = (event.get("tokens") or {}).get("bot") or []
    return Revocation(
        team_id=str(body.get("team_id") or ""),
        kind=kind,
        bot_revoked=kind == "app_uninstalled" or bool(bots),
    )


def handle_revocation(body: dict[str, Any], services: Services) -> None:
    revocation = parse_revocation(body)
    if not revocation.team_id or not revocation.bot_revoked:
        return  # only user tokens were revoked: the bot still works, and persona-bot uses no user tokens
    first = services.installs.uninstalled(revocation.team_id)
    log.info("workspace uninstalled", extra={"team": revocation.team_id, "event": revocation.kind, "first": first})


def register(app: App, services: Services) -> None:
    app.event("app_uninstalled")(handle_revocation)
    app.event("tokens_revoked")(handle_revocation)
