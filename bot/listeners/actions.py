"""Buttons on persona cards and pick lists."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from slack_bolt import Ack, App, Respond

from bot import ids
from bot.blocks.persona import build_card, build_text, card_fallback
from bot.listeners.acking import ack_then
from bot.services import Services


@dataclass(frozen=True)
class ActionRequest:
    team_id: str
    user_id: str
    channel_id: str | None
    value: str
    trigger_id: str


def parse_action(body: dict[str, Any]) -> ActionRequest:
    action = (body.get("actions") or [{}])[0]
    team = body.get("team") or {}
    user = body.get("user") or {}
    channel = body.get("channel") or {}
    return ActionRequest(
        team_id=str(team.get("id") or user.get("team_id") or ""),
        user_id=str(user.get("id") or ""),
        channel_id=channel.get("id"),
        value=str(action.get("value") or ""),
        trigger_id=str(body.get("trigger_id") or ""),
    )


def persona_id_from(value: str) -> int | None:
    """Button values can be replayed or forged: accept only a plain positive integer."""
    return int(value) if value.isdigit() and len(value) < 12 else None


def handle_share(ack: Ack, body: dict[str, Any], respond: Respond, services: Services) -> None:
    ack()
    req = parse_action(body)
    persona_id = persona_id_from(req.value)
    card = services.lookup.card(req.team_id, persona_id) if persona_id else None
    if card is None:
        respond(replace_original=False, response_type="ephemeral", blocks=build_text("lookup", "gone"), text="Gone")
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
    persona_id = persona_id_from(req.value)
    card = services.lookup.card(req.team_id, persona_id) if persona_id else None
    if card is None:
        respond(replace_original=True, blocks=build_text("lookup", "gone"), text="That persona is gone")
        return
    respond(replace_original=True, blocks=build_card(card), text=card_fallback(card))


def register(app: App, services: Services) -> None:
    app.action(ids.ACTION_SHARE_CARD)(ack_then(lambda ack, body, respond: handle_share(ack, body, respond, services)))
    app.action(ids.ACTION_PICK_PERSONA)(ack_then(lambda ack, body, respond: handle_pick(ack, body, respond, services)))
