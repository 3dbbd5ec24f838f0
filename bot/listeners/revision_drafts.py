"""Accept and Dismiss on a revision draft (in an owner's review DM or on their Home).

The button value names a persona and a statement's wording; both are hints. The service re-derives the draft from
the evidence model, and checks that the person clicking owns the persona (or is an admin). Accept opens the edit
form with a change note citing the evidence; the saved revision records the decision. Dismiss records that the
owner disagrees.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot import ids
from bot.blocks.common import Message
from bot.blocks.edit import build_edit_view
from bot.blocks.persona import build_text
from bot.blocks.revision_drafts import parse_draft_value
from bot.listeners.acking import ack_then
from bot.listeners.answers import publish_home
from bot.listeners.requests import Interaction
from bot.render import render_part
from bot.services import Services
from bot.services.personas_admin import Outcome
from bot.services.reviews import DraftAnswer, DraftStatus


@dataclass(frozen=True)
class DraftClick:
    team_id: str
    user_id: str
    target: tuple[int, str] | None  # (persona id, statement key); None when the value is unusable
    trigger_id: str
    on_home: bool  # clicked on the App Home tab (no response_url there: the tab is published again)


def parse_draft_click(body: dict[str, Any]) -> DraftClick:
    request = Interaction.of(body)
    on_home = bool(request.view is not None and request.view.type == "home")
    return DraftClick(
        request.team_id, request.user_id, parse_draft_value(request.value), request.trigger_id or "", on_home
    )


def _tell(click: DraftClick, respond: Respond, client: WebClient, services: Services, macro: str, *args: Any) -> None:
    if click.on_home:  # the tab shows what is true now
        publish_home(click.team_id, click.user_id, services, client)
        return
    respond(
        response_type="ephemeral",
        replace_original=False,
        blocks=build_text("reviews", macro, *args),
        text=render_part("reviews", macro, *args),
    )


def _targeted(
    body: dict[str, Any], respond: Respond, client: WebClient, services: Services
) -> tuple[DraftClick, tuple[int, str]] | None:
    """The click and the draft it names; None when it names none (the clicker is told the draft is gone)."""
    click = parse_draft_click(body)
    if click.target is None:
        _tell(click, respond, client, services, "draft_gone")
        return None
    return click, click.target


def _refused(answer: DraftAnswer) -> tuple[str, tuple[Any, ...]]:
    if answer.status is DraftStatus.NOT_ALLOWED:
        return "draft_not_allowed", (answer.persona_name,)
    if answer.status is DraftStatus.GONE:
        return "draft_gone", ()
    return "draft_already", (answer.persona_name,)


def handle_draft_accept(
    ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond, services: Services
) -> None:
    ack()
    clicked = _targeted(body, respond, client, services)
    if clicked is None:
        return
    click, (persona_id, key) = clicked
    answer = services.reviews.revision_draft(click.team_id, click.user_id, persona_id, key)
    if answer.status is not DraftStatus.OPEN or answer.draft is None:
        macro, args = _refused(answer)
        _tell(click, respond, client, services, macro, *args)
        return
    opened = services.personas_admin.open_edit_by_id(click.team_id, click.user_id, persona_id)
    if opened.outcome is Outcome.FORM and opened.form is not None:
        opened = dataclasses.replace(opened, form=dataclasses.replace(opened.form, draft=answer.draft))
    view = build_edit_view(opened)
    if not isinstance(view, Message):
        client.views_open(trigger_id=click.trigger_id, view=view)
    elif not click.on_home:  # the Home tab has no reply URL; what it shows stays true
        respond(response_type="ephemeral", replace_original=False, **view.fields())


def handle_draft_dismiss(
    ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond, services: Services
) -> None:
    ack()
    clicked = _targeted(body, respond, client, services)
    if clicked is None:
        return
    click, (persona_id, key) = clicked
    answer = services.reviews.dismiss_draft(click.team_id, click.user_id, persona_id, key)
    if answer.status is DraftStatus.DISMISSED and answer.draft is not None:
        _tell(click, respond, client, services, "draft_dismissed", answer.draft)
        return
    macro, args = _refused(answer)
    _tell(click, respond, client, services, macro, *args)


def register(app: App, services: Services) -> None:
    app.action(ids.ACTION_DRAFT_ACCEPT)(ack_then(handle_draft_accept))
    app.action(ids.ACTION_DRAFT_DISMISS)(ack_then(handle_draft_dismiss))
