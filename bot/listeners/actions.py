"""Buttons on persona cards and pick lists."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, Respond

from bot import ids
from bot.blocks.persona import build_card, build_message, card_fallback
from bot.listeners.acking import ack_then
from bot.listeners.requests import parse_action
from bot.services import Services
from bot.untrusted import parse_id


def handle_share(ack: Ack, body: dict[str, Any], respond: Respond, services: Services) -> None:
    ack()
    req = parse_action(body)
    persona_id = parse_id(req.value)
    card = services.lookup.card(req.team_id, persona_id) if persona_id else None
    if card is None:
        respond(replace_original=False, response_type="ephemeral", **build_message("lookup", "gone"))
        return
    # response_url can post in the channel even where the app is not a member (DMs, private channels).
    respond(
        response_type="in_channel",
        replace_original=False,
        blocks=build_card(card, shared_by=req.user_id, with_actions=False),
        text=card_fallback(card),
    )
    respond(delete_original=True)


def handle_pick(ack: Ack, body: dict[str, Any], respond: Respond, services: Services) -> None:
    ack()
    req = parse_action(body)
    persona_id = parse_id(req.value)
    card = services.lookup.card(req.team_id, persona_id) if persona_id else None
    if card is None:
        respond(replace_original=True, **build_message("lookup", "gone"))
        return
    respond(replace_original=True, blocks=build_card(card), text=card_fallback(card))


def register(app: App, services: Services) -> None:
    app.action(ids.ACTION_SHARE_CARD)(ack_then(handle_share))
    app.action(ids.ACTION_PICK_PERSONA)(ack_then(handle_pick))
