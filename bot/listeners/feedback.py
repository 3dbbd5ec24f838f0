"""Feedback: the Give-feedback button, `/persona feedback`, the "Log persona feedback" message shortcut, the modal
(persona switch, submission) and Edit/Delete on the private confirmation.

Entry points ack, read what they need (a few milliseconds of database) and call `views.open` at once: a trigger id
lives three seconds. A submission is saved before the acknowledgement, so problems come back inline in the modal.

Where the confirmation goes: an ephemeral message in the conversation the person started from (only they see it,
right where they were working); when there is none, or the app may not post there (a DM between two people, a
private channel without the app), a DM from the app instead.
"""

from __future__ import annotations

import dataclasses
import logging
import traceback
import uuid
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy.exc import DBAPIError

from bot import ids
from bot.blocks.feedback import (
    FeedbackModalMeta,
    FormErrors,
    build_confirmation,
    build_feedback_modal,
    confirmation_fallback,
    feedback_attributes,
    parse_feedback_answers,
    read_feedback_draft,
    selected_persona_id,
    view_values,
)
from bot.blocks.persona import build_text
from bot.listeners.acking import ack_then, after_ack, after_answer, answering
from bot.listeners.requests import CommandHandler, CommandRequest, parse_action
from bot.render import render_part
from bot.services import Services
from bot.services.feedback import FeedbackForm, FeedbackReceipt
from bot.slack.limits import TEXT_INPUT_MAX
from bot.untrusted import parse_id
from persona_store.feedback import FeedbackAnswers, FeedbackError, NotAuthor, PersonaUnavailable, RoundAnswer

log = logging.getLogger("persona_bot.feedback")


def _t(macro: str, *args: Any) -> str:
    return render_part("feedback", macro, *args)


def _notice(body: dict[str, Any], client: WebClient, respond: Respond, macro: str) -> None:
    """A short private note: through the response_url, or by DM from surfaces without one (the App Home tab)."""
    blocks, text = build_text("feedback", macro), _t(macro)
    if body.get("response_url"):
        respond(replace_original=False, response_type="ephemeral", blocks=blocks, text=text)
    else:
        client.chat_postMessage(channel=parse_action(body).user_id, blocks=blocks, text=text)


def new_form_key() -> str:
    return uuid.uuid4().hex


# --- entry points -----------------------------------------------------------------------------------------------


def handle_give_feedback(
    ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond, services: Services
) -> None:
    """The Give feedback button on a persona card (value = persona id; replayable, so checked like any input)."""
    ack()
    req = parse_action(body)
    persona_id = parse_id(req.value)
    form = services.feedback.form(req.team_id, req.user_id, persona_id=persona_id) if persona_id else None
    if form is None:
        _notice(body, client, respond, "persona_gone")
        return
    meta = FeedbackModalMeta(key=new_form_key(), persona_id=persona_id, channel_id=req.channel_id)
    client.views_open(trigger_id=req.trigger_id, view=build_feedback_modal(form, meta))


def start_feedback(req: CommandRequest, services: Services, ack: Ack, client: WebClient, respond: Respond) -> None:
    """`/persona feedback [persona]`: the words after `feedback` preselect the persona they match."""
    ack()
    form = services.feedback.form(req.team_id, req.user_id, query=req.args or None)
    if form is None or not form.personas:
        respond(response_type="ephemeral", blocks=build_text("feedback", "no_personas"), text=_t("no_personas"))
        return
    meta = FeedbackModalMeta(
        key=new_form_key(), persona_id=form.persona.id if form.persona else None, channel_id=req.channel_id or None
    )
    client.views_open(trigger_id=req.trigger_id, view=build_feedback_modal(form, meta))


def handle_shortcut(ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond, services: Services) -> None:
    """The "Log persona feedback" message shortcut: the message becomes quoted evidence, with a link back to it."""
    ack()
    req = parse_action(body)  # team, user, channel and trigger are where a block action has them
    channel_id = req.channel_id
    message = body.get("message") or {}
    text = str(message.get("text") or "")
    form = services.feedback.form(req.team_id, req.user_id)
    if form is None or not form.personas:
        _notice(body, client, respond, "no_personas")
        return
    prefill = FeedbackAnswers(
        persona_id=0, revision_number=0, role=form.role or "", evidence_message=text[:TEXT_INPUT_MAX]
    )
    meta = FeedbackModalMeta(
        key=new_form_key(), source="shortcut", channel_id=channel_id, quote_cut=len(text) > TEXT_INPUT_MAX
    )
    opened = client.views_open(trigger_id=req.trigger_id, view=build_feedback_modal(form, meta, prefill=prefill))
    # The link is fetched after the modal is open (the trigger can't wait) and tucked into its metadata.
    message_ts = str(message.get("ts") or body.get("message_ts") or "")
    if not (channel_id and message_ts):
        return
    try:
        permalink = str(client.chat_getPermalink(channel=channel_id, message_ts=message_ts)["permalink"])
        view = opened["view"]
        meta = dataclasses.replace(meta, permalink=permalink)
        client.views_update(
            view_id=view["id"], hash=view["hash"], view=build_feedback_modal(form, meta, prefill=prefill)
        )
    except SlackApiError as error:
        # hash_conflict: the person already switched persona (that redraw wins); the quote is still recorded.
        log.info("message link not added to the feedback modal", extra={"error": error.response.get("error")})


# --- inside the modal -------------------------------------------------------------------------------------------


def _redraw(
    services: Services, team_id: str, user_id: str, view: dict[str, Any], persona_id: int
) -> dict[str, Any] | None:
    """The modal re-drawn for another persona, keeping what was typed; None when that persona is gone."""
    meta = FeedbackModalMeta.from_json(view.get("private_metadata"))
    form = services.feedback.form(team_id, user_id, persona_id=persona_id)
    if meta is None or form is None or form.persona is None:
        return None
    draft = read_feedback_draft(view_values(view), form.persona)
    return build_feedback_modal(form, dataclasses.replace(meta, persona_id=persona_id), prefill=draft)


def handle_persona_switch(ack: Ack, body: dict[str, Any], client: WebClient, services: Services) -> None:
    """A different persona chosen in the modal: its statements replace the old ones (views.update with the hash)."""
    ack()
    req = parse_action(body)
    view = body.get("view") or {}
    persona_id = selected_persona_id(view.get("state", {}).get("values", {}))
    redrawn = _redraw(services, req.team_id, req.user_id, view, persona_id) if persona_id else None
    if redrawn is None:
        return  # submitting will say the persona is gone
    try:
        client.views_update(view_id=view["id"], hash=view.get("hash"), view=redrawn)
    except SlackApiError as error:
        if error.response.get("error") != "hash_conflict":
            raise
        # A newer update won the race; if it shows another persona's statements, submitting re-draws them.
        log.info("feedback modal changed meanwhile; not re-drawn", extra={"error": "hash_conflict"})


@dataclasses.dataclass(frozen=True)
class _Redrawn:
    view: dict[str, Any]


def _save(
    services: Services, team_id: str, user_id: str, meta: FeedbackModalMeta, view: dict[str, Any]
) -> FeedbackReceipt | FormErrors | _Redrawn:
    state = view.get("state", {}).get("values", {})
    persona_id = selected_persona_id(state)
    if persona_id is None:
        return FormErrors({ids.BLOCK_FEEDBACK_PERSONA: _t("error_required", "choose a persona")})
    card = services.feedback.persona(team_id, persona_id)
    if card is None:
        return FormErrors({ids.BLOCK_FEEDBACK_PERSONA: _t("error_persona_gone")})
    if persona_id != meta.persona_id and feedback_attributes(card):
        # The statements on screen belong to another persona (a redraw lost a race): show the right ones first.
        redrawn = _redraw(services, team_id, user_id, view, persona_id)
        if redrawn is not None:
            return _Redrawn(redrawn)
    parsed = parse_feedback_answers(state, card)
    if isinstance(parsed, FormErrors):
        return parsed
    answers = dataclasses.replace(parsed, evidence_permalink=meta.permalink)
    try:
        if meta.feedback_id is not None:
            receipt = services.feedback.update(team_id, user_id, meta.feedback_id, answers)
            if receipt is None:
                return FormErrors({ids.BLOCK_FEEDBACK_PERSONA: _t("error_gone")})
            return receipt
        return services.feedback.record(team_id, user_id, answers, form_key=meta.key, source=meta.source)
    except NotAuthor:
        return FormErrors({ids.BLOCK_FEEDBACK_PERSONA: _t("error_not_yours")})
    except RoundAnswer:
        return FormErrors({ids.BLOCK_FEEDBACK_PERSONA: _t("error_round_answer")})
    except PersonaUnavailable:
        return FormErrors({ids.BLOCK_FEEDBACK_PERSONA: _t("error_persona_gone")})
    except FeedbackError:
        log.warning("feedback refused", extra={"team": team_id, "user": user_id, "persona": persona_id})
        return FormErrors({ids.BLOCK_FEEDBACK_PERSONA: _t("error_invalid")})


def handle_submission(ack: Ack, body: dict[str, Any], client: WebClient, services: Services) -> None:
    req = parse_action(body)
    team_id, user_id = req.team_id, req.user_id
    view = body.get("view") or {}
    meta = FeedbackModalMeta.from_json(view.get("private_metadata"))
    if meta is None:
        ack(response_action="errors", errors={ids.BLOCK_FEEDBACK_PERSONA: _t("error_invalid")})
        return
    try:
        outcome = _save(services, team_id, user_id, meta, view)
    except DBAPIError as error:
        # Nothing was written (one transaction). Log ids and the code path, never the SQL parameters (user text).
        log.error(
            "feedback not saved: database unavailable",
            extra={
                "team": team_id,
                "user": user_id,
                "source": meta.source,
                "error": type(error).__name__,
                "cause": type(error.orig).__name__ if error.orig is not None else None,
                "where": "".join(traceback.format_tb(error.__traceback__)),
            },
        )
        ack(response_action="errors", errors={ids.BLOCK_FEEDBACK_PERSONA: _t("error_db_down")})
        return
    if isinstance(outcome, FormErrors):
        ack(response_action="errors", errors=dict(outcome))
        return
    if isinstance(outcome, _Redrawn):
        ack(response_action="update", view=outcome.view)
        return
    ack()
    if outcome.created or outcome.updated:  # a repeated submission of the same form says nothing twice
        after_ack(send_confirmation, client, user_id, meta.channel_id, outcome)


def send_confirmation(client: WebClient, user_id: str, channel_id: str | None, receipt: FeedbackReceipt) -> None:
    """Ephemeral where the person started; a DM from the app when there is no such place or it can't post there."""
    blocks, text = build_confirmation(receipt), confirmation_fallback(receipt)
    if channel_id and not channel_id.startswith("D"):
        try:
            client.chat_postEphemeral(channel=channel_id, user=user_id, blocks=blocks, text=text)
            return
        except SlackApiError as error:
            log.info("confirmation goes by DM instead", extra={"error": error.response.get("error")})
    client.chat_postMessage(channel=user_id, blocks=blocks, text=text)


# --- on the confirmation --------------------------------------------------------------------------------------


def handle_edit(ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond, services: Services) -> None:
    ack()
    req = parse_action(body)
    feedback_id = parse_id(req.value)
    try:
        form: FeedbackForm | None = (
            services.feedback.edit_form(req.team_id, req.user_id, feedback_id) if feedback_id else None
        )
    except NotAuthor:
        _notice(body, client, respond, "not_yours")
        return
    except RoundAnswer:
        _notice(body, client, respond, "round_answer")
        return
    if form is None or form.persona is None or form.prefill is None:
        _notice(body, client, respond, "already_gone")
        return
    meta = FeedbackModalMeta(
        key=new_form_key(),
        persona_id=form.persona.id,
        channel_id=req.channel_id,
        feedback_id=feedback_id,
        permalink=form.prefill.evidence_permalink,
    )
    client.views_open(trigger_id=req.trigger_id, view=build_feedback_modal(form, meta))


def handle_delete(ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond, services: Services) -> None:
    ack()
    req = parse_action(body)
    feedback_id = parse_id(req.value)
    try:
        name = services.feedback.delete(req.team_id, req.user_id, feedback_id) if feedback_id else None
    except NotAuthor:
        _notice(body, client, respond, "not_yours")
        return
    except RoundAnswer:
        _notice(body, client, respond, "round_answer")
        return
    if name is None:
        _notice(body, client, respond, "already_gone")
        return
    respond(replace_original=True, blocks=build_text("feedback", "deleted", name), text=_t("deleted", name))


COMMANDS: dict[str, CommandHandler] = {"feedback": after_answer(start_feedback)}


def register(app: App, services: Services) -> None:
    app.action(ids.ACTION_GIVE_FEEDBACK)(ack_then(handle_give_feedback))
    app.shortcut(ids.SHORTCUT_LOG_FEEDBACK)(ack_then(handle_shortcut))
    app.action(ids.ACTION_FEEDBACK_PERSONA)(ack_then(handle_persona_switch))
    app.view(ids.VIEW_FEEDBACK)(answering(handle_submission))
    app.action(ids.ACTION_FEEDBACK_EDIT)(ack_then(handle_edit))
    app.action(ids.ACTION_FEEDBACK_DELETE)(ack_then(handle_delete))
