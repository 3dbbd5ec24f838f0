"""Buttons on persona cards and pick lists."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from slack_bolt import Ack, App, Respond

from bot import ids
from bot.blocks.persona import build_card, build_message, card_fallback
from bot.listeners.acking import ack_then
from bot.listeners.requests import Interaction
from bot.services import Services
from bot.untrusted import parse_id


@dataclass(frozen=True)
class ActionRequest:
    team_id: str
    user_id: str
    channel_id: str | None
    value: str
    trigger_id: str


def parse_action(body: dict[str, Any]) -> ActionRequest:
    """Any interaction's who and where (typed at the door: `bot.listeners.requests.Interaction`)."""
    request = Interaction.of(body)
    return ActionRequest(
        team_id=request.team_id,
        user_id=request.user_id,
        channel_id=request.channel_id,
        value=request.value,
        trigger_id=request.trigger_id or "",
    )


def persona_id_from(value: str) -> int | None:
    """Button values can be replayed or forged: accept only a bounded positive id."""
    return parse_id(value)


def handle_share(ack: Ack, body: dict[str, Any], respond: Respond, services: Services) -> None:
    ack()
    req = parse_action(body)
    persona_id = persona_id_from(req.value)
    card = services.lookup.card(req.team_id, persona_id) if persona_id else None
    if card is None:
        respond(replace_original=False, response_type="ephemeral", **build_message("lookup", "gone"))
        return
    # response_url can post in the channel even where the app is not a member (DMs, private channels).
    respond(
        response_type="in_channel",
        replace_original=False,
        blocks=build_card(
            card, shared_by=req.user_id, with_actions=False, outcome=services.outcomes.card_line(req.team_id, card.id)
        ),
        text=card_fallback(card),
    )
    respond(delete_original=True)


def handle_pick(ack: Ack, body: dict[str, Any], respond: Respond, services: Services) -> None:
    ack()
    req = parse_action(body)
    persona_id = persona_id_from(req.value)
    card = services.lookup.card(req.team_id, persona_id) if persona_id else None
    if card is None:
        respond(replace_original=True, **build_message("lookup", "gone"))
        return
    respond(replace_original=True, blocks=build_card(card), text=card_fallback(card))


def register(app: App, services: Services) -> None:
    app.action(ids.ACTION_SHARE_CARD)(ack_then(handle_share))
    app.action(ids.ACTION_PICK_PERSONA)(ack_then(handle_pick))
