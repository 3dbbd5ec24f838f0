"""`app_uninstalled` and `tokens_revoked`: stop every message to the workspace. Retries are harmless."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import App

from bot.listeners.requests import EventEnvelope
from bot.services import Services

log = logging.getLogger("persona_bot.installs")


def handle_revocation(body: dict[str, Any], services: Services) -> None:
    envelope = EventEnvelope.of(body)
    kind = envelope.event.type  # app_uninstalled | tokens_revoked
    if kind != "app_uninstalled" and not (envelope.event.tokens or {}).get("bot"):
        return  # only user tokens were revoked: the bot still works, and persona-bot uses no user tokens
    first = services.installs.uninstalled(envelope.team_id)
    log.info("workspace uninstalled", extra={"team": envelope.team_id, "event": kind, "first": first})


def register(app: App, services: Services) -> None:
    app.event("app_uninstalled")(handle_revocation)
    app.event("tokens_revoked")(handle_revocation)
