"""The check-in DM's buttons (Start, Remind me tomorrow, Skip this quarter) and the paged check-in modal."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot import ids
from bot.blocks.checkins import (
    PageMeta,
    build_answered_message,
    build_checkin_page,
    build_notice,
    build_notice_text,
    build_notice_view,
    build_skipped_message,
    build_status,
    build_thanks_view,
    snoozed_notice,
)
from bot.blocks.feedback import FormErrors, parse_feedback_answers
from bot.listeners.acking import ack_then, answering
from bot.listeners.answers import open_checkin_modal
from bot.listeners.requests import CommandHandler, CommandRequest, Interaction
from bot.render import render_part
from bot.services import Services
from bot.untrusted import parse_id
from persona_store.checkins import SKIP_REASONS, RoundClosed
from persona_store.feedback import FeedbackError

log = logging.getLogger("persona_bot.checkins")


@dataclass(frozen=True)
class CheckinAction:
    team_id: str
    user_id: str
    round_id: int | None
    reason: str | None
    trigger_id: str


def parse_checkin_action(body: dict[str, Any]) -> CheckinAction:
    """Button values can be replayed or forged: the round id is bounded, the reason one of ours."""
    request = Interaction.of(body)
    round_part, _, reason = request.value.partition(":")
    return CheckinAction(
        team_id=request.team_id,
        user_id=request.user_id,
        round_id=parse_id(round_part),
        reason=reason if reason in SKIP_REASONS else None,
        trigger_id=request.trigger_id or "",
    )


def handle_start(ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond, services: Services) -> None:
    ack()
    req = parse_checkin_action(body)
    if req.round_id is None:
        respond(replace_original=False, response_type="ephemeral", **build_notice("not_part"))
        return
    notice = open_checkin_modal(services, client, req.team_id, req.user_id, req.round_id, req.trigger_id)
    if notice is not None:
        respond(replace_original=False, response_type="ephemeral", **notice)


def handle_snooze(ack: Ack, body: dict[str, Any], respond: Respond, services: Services) -> None:
    ack()
    req = parse_checkin_action(body)
    try:
        if req.round_id is None:
            raise LookupError("no round")
        when = services.checkins.snooze(req.team_id, req.round_id, req.user_id)
        participation = services.checkins.participation(req.team_id, req.round_id, req.user_id)
        zone = participation.timezone if participation else services.settings.default_timezone
        respond(replace_original=False, response_type="ephemeral", **snoozed_notice(when, zone))
    except RoundClosed:
        respond(replace_original=False, response_type="ephemeral", **build_notice("closed", _quarter(services, req)))
    except LookupError:
        respond(replace_original=False, response_type="ephemeral", **build_notice("not_part"))


def handle_skip(ack: Ack, body: dict[str, Any], respond: Respond, services: Services) -> None:
    ack()
    req = parse_checkin_action(body)
    try:
        if req.round_id is None or req.reason is None:
            raise LookupError("no round or reason")
        participation = services.checkins.skip(req.team_id, req.round_id, req.user_id, req.reason)
        info = services.checkins.round_info(req.team_id, req.round_id)
        assert info is not None  # skip() found it
        if participation.answered_at is not None:
            respond(replace_original=True, **build_answered_message(info))
        else:
            respond(replace_original=True, **build_skipped_message(info, req.reason))
    except RoundClosed:
        respond(replace_original=False, response_type="ephemeral", **build_notice("closed", _quarter(services, req)))
    except LookupError:
        respond(replace_original=False, response_type="ephemeral", **build_notice("not_part"))


def _quarter(services: Services, req: CheckinAction) -> str:
    info = services.checkins.round_info(req.team_id, req.round_id) if req.round_id else None
    return info.quarter if info else ""


def handle_page(ack: Ack, body: dict[str, Any], client: WebClient, services: Services) -> None:
    """One page submitted: store it, then show the next page, or the thanks (and update the DM).

    The metadata is sealed, and only a hint: the rep's personas, their answers and whether they have answered
    all of them come from the server.
    """
    request = Interaction.of(body)
    team_id, user_id = request.team_id, request.user_id
    view = body.get("view") or {}
    meta = PageMeta.from_json(request.view.private_metadata if request.view else None)
    if meta is None:
        ack(response_action="update", view=build_notice_view("not_part"))
        return
    try:
        page = services.checkins.begin(team_id, meta.round_id, user_id)
    except RoundClosed:
        info = services.checkins.round_info(team_id, meta.round_id)
        ack(response_action="update", view=build_notice_view("closed", info.quarter if info else ""))
        return
    except LookupError:
        ack(response_action="update", view=build_notice_view("not_part"))
        return
    order = [card.id for card in page.personas]
    card = next((c for c in page.personas if c.id == meta.persona_ids[meta.index]), None)
    try:
        if card is None:  # retired meanwhile: nothing to store for it
            progress = services.checkins.answer_done(team_id, meta.round_id, user_id)
        else:
            # the role is asked on the first page only: later pages answer in the role the server holds
            parsed = parse_feedback_answers((view.get("state") or {}).get("values") or {}, card, role=page.role)
            if isinstance(parsed, FormErrors):
                ack(response_action="errors", errors=dict(parsed))
                return
            progress = services.checkins.answer(team_id, meta.round_id, user_id, parsed)
    except RoundClosed:
        ack(response_action="update", view=build_notice_view("closed", page.round.quarter))
        return
    except (FeedbackError, LookupError):
        ack(response_action="update", view=build_notice_view("not_part"))
        return
    position = order.index(card.id) if card is not None else len(order)
    if position + 1 < len(order):
        ack(response_action="update", view=build_checkin_page(page, position + 1))
        return
    if progress.unanswered:  # the last page, but not every persona has an answer yet: show the first missing one
        ack(response_action="update", view=build_checkin_page(page, order.index(progress.unanswered[0])))
        return
    ack(response_action="update", view=build_thanks_view(page))
    participation = progress.participation
    if participation.dm_channel and participation.dm_ts:  # the DM the ledger recorded when it was sent
        services.background.submit(_update_dm, client, participation.dm_channel, participation.dm_ts, page.round)


def _update_dm(client: WebClient, channel: str, ts: str, round_info: Any) -> None:
    """The DM loses its Start/Skip/Snooze buttons once answered (only "Revise my answers" stays)."""
    try:
        client.chat_update(channel=channel, ts=ts, **build_answered_message(round_info))
    except SlackApiError as error:
        log.warning("could not update the check-in DM: %s", error.response.get("error"))


def show_checkin_status(req: CommandRequest, services: Services, ack: Ack, client: WebClient, respond: Respond) -> None:
    """`/persona checkin [status] [YYYY-Qn]`: per-role counts, for managers and admins."""
    if not services.checkins.may_see_status(req.team_id, req.user_id):
        ack(response_type="ephemeral", **build_notice_text("errors", "not_allowed", "the check-in status"))
        return
    words = req.args.split()
    quarter = next((w.upper() for w in words if w.lower() != "status"), None)
    status = services.checkins.status(req.team_id, quarter)
    ack(response_type="ephemeral", blocks=build_status(status), text=render_part("fallbacks", "checkin_status"))


COMMANDS: dict[str, CommandHandler] = {"checkin": show_checkin_status}


def register(app: App, services: Services) -> None:
    app.action(ids.ACTION_CHECKIN_START)(ack_then(handle_start))
    app.action(ids.ACTION_CHECKIN_SNOOZE)(ack_then(handle_snooze))
    app.action(ids.ACTION_CHECKIN_SKIP)(ack_then(handle_skip))
    app.view(ids.VIEW_CHECKIN)(answering(handle_page))
