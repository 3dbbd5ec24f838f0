"""The buttons on a six-monthly review DM: Still accurate, Edit, Retire.

The button value names a persona and its review cycle; both are hints. The service re-reads the persona, who may
answer it, and the review DM the ledger recorded for that cycle: only that message is ever updated, rebuilt from
the server's data. A channel, ts or blocks in the request are never used.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot import ids
from bot.blocks.edit import build_edit_view
from bot.blocks.persona import build_message
from bot.blocks.reviews import build_review_done, parse_review_value, review_done_fallback
from bot.listeners.acking import ack_then, open_or_explain
from bot.listeners.requests import Interaction
from bot.services import Services
from bot.services.reviews import ReviewStatus

OUTCOMES = {ids.ACTION_REVIEW_ACCURATE: "accurate", ids.ACTION_REVIEW_RETIRE: "retired"}


@dataclass(frozen=True)
class ReviewClick:
    team_id: str
    user_id: str
    action_id: str
    target: tuple[int, int] | None  # (persona id, review cycle), bounded; None when the value is unusable
    trigger_id: str


def parse_review_click(body: dict[str, Any]) -> ReviewClick:
    request = Interaction.of(body)
    action = request.action
    return ReviewClick(
        team_id=request.team_id,
        user_id=request.user_id,
        action_id=action.action_id if action is not None else "",
        target=parse_review_value(request.value),
        trigger_id=request.trigger_id or "",
    )


def _say(respond: Respond, macro: str, *args: Any) -> None:
    respond(
        response_type="ephemeral",
        replace_original=False,
        **build_message("reviews", macro, *args),
    )


def handle_review_answer(
    ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond, services: Services
) -> None:
    ack()
    click = parse_review_click(body)
    if click.target is None or click.action_id not in OUTCOMES:
        _say(respond, "gone")
        return
    persona_id, cycle = click.target
    answer = services.reviews.record_outcome(click.team_id, click.user_id, persona_id, cycle, OUTCOMES[click.action_id])
    if answer.status is ReviewStatus.NOT_ALLOWED:
        _say(respond, "not_allowed", answer.persona_name)
        return
    if answer.status is ReviewStatus.GONE:
        _say(respond, "gone")
        return
    if answer.message is None:
        # Entitled, but the ledger has no DM for this cycle (answered from a copy): say so privately.
        macro = "done" if answer.status is ReviewStatus.RECORDED else "already"
        _say(respond, macro, answer)
        return
    # chat.update of the DM the ledger recorded, so the buttons are gone for good, whoever looks next.
    client.chat_update(
        channel=answer.message.channel,
        ts=answer.message.ts,
        blocks=build_review_done(answer),
        text=review_done_fallback(answer),
    )


def handle_review_edit(ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond, services: Services) -> None:
    ack()
    click = parse_review_click(body)
    if click.target is None:
        _say(respond, "gone")
        return
    persona_id, cycle = click.target
    opened = services.personas_admin.open_edit_by_id(click.team_id, click.user_id, persona_id, review_cycle=cycle)
    open_or_explain(build_edit_view(opened), client, click.trigger_id, respond)


def register(app: App, services: Services) -> None:
    for action_id in OUTCOMES:
        app.action(action_id)(ack_then(handle_review_answer))
    app.action(ids.ACTION_REVIEW_EDIT)(ack_then(handle_review_edit))
