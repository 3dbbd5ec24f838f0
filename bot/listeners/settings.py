"""`/persona settings` (admins): the workspace's check-in schedule, where summaries go, and privacy.

Saving re-checks that the person is an admin, validates every field (problems next to the field), stores the
settings and records each change with who made it and when; the clock reads them on its next tick.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot import ids
from bot.blocks.settings import block_id, build_settings_modal, build_settings_saved, parse_settings_submission
from bot.listeners.acking import ack_then, admins_modal
from bot.listeners.requests import CommandHandler, Interaction
from bot.render import render_part
from bot.services import Services
from persona_store.workspace_settings import SettingsInvalid

log = logging.getLogger("persona_bot.settings")


def open_settings_modal(services: Services, client: WebClient, team_id: str, trigger_id: str) -> None:
    history = services.workspace_settings.history(team_id, limit=1)
    view = build_settings_modal(services.workspace_settings.current(team_id), history[0] if history else None)
    client.views_open(trigger_id=trigger_id, view=view)


def handle_settings_submission(ack: Ack, body: dict[str, Any], client: WebClient, services: Services) -> None:
    request = Interaction.of(body)
    team_id, user_id = request.team_id, request.user_id
    if not services.workspace_settings.may_change(team_id, user_id):
        ack(response_action="errors", errors={block_id("cadence"): render_part("settings", "admins_only")})
        return
    form = parse_settings_submission(body.get("view") or {}, services.workspace_settings.current(team_id))
    if form.errors:
        ack(response_action="errors", errors=form.errors)
        return
    try:
        changes = services.workspace_settings.save(team_id, user_id, form.settings)
    except SettingsInvalid as error:  # checked above; a race with another admin's save lands here
        ack(response_action="errors", errors={block_id(k): v for k, v in error.problems.items()})
        return
    ack(response_action="update", view=build_settings_saved(changes))


handle_settings, handle_home_settings = admins_modal(
    "settings",
    lambda services, team_id, user_id: services.workspace_settings.may_change(team_id, user_id),
    open_settings_modal,
)


COMMANDS: dict[str, CommandHandler] = {"settings": handle_settings}


def register(app: App, services: Services) -> None:
    app.view(ids.VIEW_SETTINGS)(handle_settings_submission)
    app.action(ids.ACTION_HOME_SETTINGS)(ack_then(handle_home_settings))


__all__ = ["handle_settings", "open_settings_modal", "register"]
