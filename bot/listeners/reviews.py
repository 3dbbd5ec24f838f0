"""The buttons on a six-monthly review DM: Still accurate, Edit, Retire."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot import ids
from bot.blocks.common import fallback_text
from bot.blocks.edit import ReviewMessage
from bot.blocks.persona import build_text
from bot.blocks.reviews import build_review_done, parse_review_value
from bot.listeners.acking import ack_then
from bot.listeners.personas_admin import open_edit_form
from bot.render import render_part
from bot.services import Services
from bot.services.reviews import ReviewStatus

OUTCOMES = {ids.ACTION_REVIEW_ACCURATE: "accurate", ids.ACTION_REVIEW_RETIRE: "retired"}


def _click(body: dict[str, Any]) -> tuple[str, str, str, tuple[int, int] | None, ReviewMessage | None]:
    user = body.get("user") or {}
    team = body.get("team") or {}
    action = (body.get("actions") or [{}])[0]
    channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get("channel_id")
    ts = (body.get("message") or {}).get("ts") or (body.get("container") or {}).get("message_ts")
    message = ReviewMessage(str(channel), str(ts)) if channel and ts else None
    return (
        str(team.get("id") or user.get("team_id") or ""),
        str(user.get("id") or ""),
        str(action.get("action_id") or ""),
        parse_review_value(str(action.get("value") or "")),
        message,
    )


def handle_review_answer(
    ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond, services: Services
) -> None:
    ack()
    team_id, user_id, action_id, target, message = _click(body)
    if target is None:
        return
    answer = services.reviews.record_outcome(team_id, user_id, target[0], target[1], OUTCOMES[action_id])
    if answer.status is ReviewStatus.NOT_ALLOWED:
        respond(
            response_type="ephemeral",
            replace_original=False,
            blocks=build_text("reviews", "not_allowed", answer.persona_name),
            text="Only the owner or an admin can answer this review",
        )
        return
    if answer.status is ReviewStatus.GONE:
        blocks = build_text("reviews", "gone")
        text = "That persona no longer exists"
    else:
        blocks = build_review_done((body.get("message") or {}).get("blocks") or [], answer)
        macro = "done" if answer.status is ReviewStatus.RECORDED else "already"
        text = fallback_text(render_part("reviews", macro, answer))
    if message is not None:
        # chat.update, so the buttons are gone for good, whoever looks at the DM next.
        client.chat_update(channel=message.channel, ts=message.ts, blocks=blocks, text=text)


def handle_review_edit(ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond, services: Services) -> None:
    ack()
    team_id, user_id, _action, target, message = _click(body)
    if target is None:
        return
    opened = services.personas_admin.open_edit_by_id(team_id, user_id, target[0], review=True)
    refusal = open_edit_form(opened, client, str(body.get("trigger_id") or ""), message)
    if refusal is not None:
        respond(response_type="ephemeral", replace_original=False, blocks=refusal[0], text=refusal[1])


def register(app: App, services: Services) -> None:
    for action_id in OUTCOMES:
        app.action(action_id)(
            ack_then(lambda ack, body, client, respond: handle_review_answer(ack, body, client, respond, services))
        )
    app.action(ids.ACTION_REVIEW_EDIT)(
        ack_then(lambda ack, body, client, respond: handle_review_edit(ack, body, client, respond, services))
    )
