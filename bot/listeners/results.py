"""`/persona results [persona] [quarter]`, its buttons, and Home's Results and Still accurate.

The command answers privately in the acknowledgement; the fit-by-role chart (a PNG drawn by `bot.report.charts`)
goes to the requester's DM with the bot after the answer, through `files_upload_v2`, its alt text stating the
numbers. Button values are hints: a persona id goes through `parse_id`, and the services decide who may see or
answer what from the server's own records.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot import ids
from bot.blocks.history import build_history, history_fallback
from bot.blocks.persona import build_message
from bot.blocks.results import build_results
from bot.blocks.reviews import build_review_done, review_done_fallback
from bot.listeners.acking import ack_then, after_ack
from bot.listeners.answers import publish_home
from bot.listeners.requests import CommandHandler, CommandRequest, Interaction
from bot.render import render_part
from bot.report.charts import PersonaFit, render_fit_chart
from bot.services import Services
from bot.services.personas_admin import Outcome
from bot.services.results import ResultsAnswer, ResultsStatus
from bot.services.reviews import ReviewStatus
from bot.slack.calls import open_dm
from bot.untrusted import parse_id

log = logging.getLogger("persona_bot.results")


def show_results(req: CommandRequest, services: Services, ack: Ack, client: WebClient, respond: Respond) -> None:
    """Answer in the acknowledgement (figures are a few aggregate queries); the chart follows in a DM."""
    answer = services.results.results(req.team_id, req.user_id, req.args)
    ack(response_type="ephemeral", **build_results(answer))
    if has_chart(answer):
        after_ack(send_chart, client, req.user_id, answer)


def has_chart(answer: ResultsAnswer) -> bool:
    """A chart is worth sending when at least one bar would be drawn."""
    if answer.status not in (ResultsStatus.PERSONA, ResultsStatus.LIST):
        return False
    return any(_bars(p) for p in answer.chart)


def _bars(p: PersonaFit) -> bool:
    return p.overall is not None or any(r.fit is not None for r in p.roles)


def send_chart(client: WebClient, user_id: str, answer: ResultsAnswer) -> None:
    """Upload the fit-by-role chart into the requester's DM with the bot (private, like the results)."""
    image = render_fit_chart(answer.chart, period=answer.period_label)
    try:
        client.files_upload_v2(
            channel=open_dm(client, user_id),
            content=image.png,
            filename=image.filename,
            title=render_part("results", "chart_comment", answer.period_label),
            alt_txt=image.alt_text,
            initial_comment=render_part("results", "chart_comment", answer.period_label),
        )
    except SlackApiError as error:  # the figures are already in front of the person; only the picture is lost
        log.warning("could not send the results chart (%s)", error.response.get("error"))


def handle_results_open(ack: Ack, body: dict[str, Any], client: WebClient, services: Services) -> None:
    """Results from Home or from the round summary: the same answer, sent to the person's DM."""
    ack()
    request = Interaction.of(body)
    persona_id = parse_id(request.value)  # "all" (the summary's button), or anything else: every persona
    answer = services.results.results(request.team_id, request.user_id, "", persona_id=persona_id)
    client.chat_postMessage(channel=open_dm(client, request.user_id), **build_results(answer))
    if has_chart(answer):
        send_chart(client, request.user_id, answer)


def handle_results_history(ack: Ack, body: dict[str, Any], respond: Respond, services: Services) -> None:
    ack()
    request = Interaction.of(body)
    persona_id = parse_id(request.value)
    key = services.results.persona_key(request.team_id, persona_id) if persona_id is not None else None
    answer = services.personas_admin.history(request.team_id, key) if key else None
    if answer is None or answer.outcome is not Outcome.FORM or answer.persona is None:
        respond(response_type="ephemeral", replace_original=False, **build_message("results", "gone"))
        return
    respond(
        response_type="ephemeral",
        replace_original=False,
        blocks=build_history(answer),
        text=history_fallback(answer),
    )


def handle_still_accurate(ack: Ack, body: dict[str, Any], client: WebClient, services: Services) -> None:
    """Home's Still accurate: the review's own answer; the recorded review DM loses its buttons; Home is redrawn."""
    ack()
    request = Interaction.of(body)
    persona_id = parse_id(request.value)
    if persona_id is None:
        return
    answer = services.results.still_accurate(request.team_id, request.user_id, persona_id)
    if answer.status is ReviewStatus.NOT_ALLOWED:
        client.chat_postMessage(
            channel=request.user_id, **build_message("results", "accurate_not_allowed", answer.persona_name)
        )
        return
    if answer.status in (ReviewStatus.RECORDED, ReviewStatus.ALREADY) and answer.message is not None:
        try:
            client.chat_update(
                channel=answer.message.channel,
                ts=answer.message.ts,
                blocks=build_review_done(answer),
                text=review_done_fallback(answer),
            )
        except SlackApiError as error:  # the review is recorded; only the old DM keeps its buttons
            log.warning("could not update the review DM (%s)", error.response.get("error"))
    publish_home(request.team_id, request.user_id, services, client)


COMMANDS: dict[str, CommandHandler] = {"results": show_results}


def register(app: App, services: Services) -> None:
    app.action(ids.ACTION_RESULTS_OPEN)(ack_then(handle_results_open))
    app.action(ids.ACTION_RESULTS_HISTORY)(ack_then(handle_results_history))
    app.action(ids.ACTION_HOME_STILL_ACCURATE)(ack_then(handle_still_accurate))


__all__ = ["COMMANDS", "handle_results_open", "has_chart", "register", "send_chart", "show_results"]
