"""`/persona new`, `/persona edit <persona>`, `/persona history <persona>`, `/persona reviews`, and the edit modal."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot import ids
from bot.blocks.common import Message, fallback_text
from bot.blocks.edit import build_edit_view, edit_errors, parse_edit_submission
from bot.blocks.history import build_history, history_fallback
from bot.blocks.persona import build_message, build_text
from bot.blocks.reviews import build_overdue, build_review_done, review_done_fallback
from bot.listeners.acking import ack_then, after_ack, answering, open_or_explain
from bot.listeners.requests import CommandHandler, CommandRequest, Interaction
from bot.render import render_part
from bot.services import Services
from bot.services.personas_admin import STALE_FORM, EditOpen, Outcome, SaveResult
from bot.services.reviews import ReviewAnswer, ReviewStatus
from bot.untrusted import parse_id
from persona_store.models import utcnow

log = logging.getLogger(__name__)


def handle_new(req: CommandRequest, services: Services, ack: Ack, client: WebClient, respond: Respond) -> None:
    _answer_command(services.personas_admin.open_new(req.team_id, req.user_id), req, ack, client)


def handle_edit(req: CommandRequest, services: Services, ack: Ack, client: WebClient, respond: Respond) -> None:
    _answer_command(services.personas_admin.open_edit(req.team_id, req.user_id, req.args), req, ack, client)


def _answer_command(opened: EditOpen, req: CommandRequest, ack: Ack, client: WebClient) -> None:
    view = build_edit_view(opened)
    if isinstance(view, Message):
        ack(response_type="ephemeral", **view.fields())
        return
    ack()
    # The trigger expires 3 s after the command: the modal opens right after the answer.
    after_ack(client.views_open, trigger_id=req.trigger_id, view=view)


def handle_history(req: CommandRequest, services: Services, ack: Ack, client: WebClient, respond: Respond) -> None:
    answer = services.personas_admin.history(req.team_id, req.args)
    if answer.outcome is Outcome.FORM and answer.persona is not None:
        ack(response_type="ephemeral", blocks=build_history(answer), text=fallback_text(history_fallback(answer)))
    elif answer.outcome is Outcome.NEED_NAME:
        ack(response_type="ephemeral", **build_message("edit", "need_name", "history"))
    elif answer.outcome is Outcome.PICK:
        ack(
            response_type="ephemeral",
            **build_message("history", "pick", answer.query, answer.candidates),
        )
    else:
        ack(response_type="ephemeral", **build_message("edit", "no_match", answer.query))


def handle_reviews(req: CommandRequest, services: Services, ack: Ack, client: WebClient, respond: Respond) -> None:
    items = services.reviews.overdue_for_admins(req.team_id, req.user_id, utcnow())
    if items is None:
        ack(response_type="ephemeral", **build_message("reviews", "admins_only"))
        return
    days = services.reviews.interval(req.team_id)
    ack(
        response_type="ephemeral",
        blocks=build_overdue(items, days),
        text=render_part("fallbacks", "overdue", len(items)),
    )


def handle_edit_pick(ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond, services: Services) -> None:
    ack()
    request = Interaction.of(body)
    persona_id = parse_id(request.value)
    if persona_id is None:
        respond(
            response_type="ephemeral",
            replace_original=False,
            **build_message("edit", "no_match", ""),
        )
        return
    opened = services.personas_admin.open_edit_by_id(request.team_id, request.user_id, persona_id)
    open_or_explain(build_edit_view(opened), client, request.trigger_id or "", respond)


def handle_edit_submission(ack: Ack, body: dict[str, Any], client: WebClient, services: Services) -> None:
    request = Interaction.of(body)
    team_id, user_id = request.team_id, request.user_id
    submission = parse_edit_submission(body.get("view") or {})
    if submission is None:  # metadata this app did not write: nothing is saved
        ack(response_action="errors", errors=edit_errors({"note": STALE_FORM}))
        return
    result = services.personas_admin.save(team_id, user_id, submission)
    if not result.ok:
        ack(response_action="errors", errors=edit_errors(result.errors))
        return
    ack()
    if result.persona is not None:
        after_ack(_confirm_save, client, user_id, result)


def _confirm_save(client: WebClient, user_id: str, result: SaveResult) -> None:
    """After the modal has closed: the recorded review DM loses its buttons, or the editor gets a DM."""
    persona = result.persona
    assert persona is not None  # only called for a save that happened
    try:
        if result.review_outcome is not None and result.review_message is not None:
            # The review DM the ledger recorded for this cycle, rebuilt from the server's data.
            answer = ReviewAnswer(ReviewStatus.RECORDED, result.review_outcome, persona.name, user_id, utcnow())
            client.chat_update(
                channel=result.review_message.channel,
                ts=result.review_message.ts,
                blocks=build_review_done(answer),
                text=review_done_fallback(answer),
            )
        else:
            client.chat_postMessage(
                channel=user_id,
                blocks=build_text("edit", "saved", persona.name, result.revision_number, result.created),
                text=render_part("edit", "saved_fallback", persona.name),
            )
    except SlackApiError as error:  # the save stands; only the confirmation was lost
        log.warning("could not confirm a persona save: %s", error.response.get("error"))


COMMANDS: dict[str, CommandHandler] = {
    "new": handle_new,
    "edit": handle_edit,
    "history": handle_history,
    "reviews": handle_reviews,
}


def register(app: App, services: Services) -> None:
    app.action(ids.ACTION_EDIT_PICK)(ack_then(handle_edit_pick))
    app.view(ids.VIEW_EDIT_PERSONA)(answering(handle_edit_submission))


__all__ = ["handle_edit", "handle_history", "handle_new", "handle_reviews", "register"]
