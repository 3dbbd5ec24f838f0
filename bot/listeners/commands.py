"""`/persona …`: parse the text, route to one handler per subcommand, unknown words fall through to search."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot import ids
from bot.blocks.persona import build_card, build_help, build_list, build_no_match, build_pick_list, card_fallback
from bot.listeners.acking import after_ack, answering
from bot.listeners.checkins import show_checkin_status
from bot.listeners.doctor import handle_doctor
from bot.listeners.feedback import start_feedback
from bot.listeners.personas_admin import handle_edit, handle_history, handle_new, handle_reviews
from bot.listeners.reports import request_report
from bot.listeners.requests import Command
from bot.listeners.results import show_results
from bot.listeners.roster import handle_roster
from bot.listeners.settings import handle_settings
from bot.render import plural
from bot.services import Services
from bot.services.lookup import LookupOutcome


@dataclass(frozen=True)
class CommandRequest:
    team_id: str
    user_id: str
    channel_id: str
    trigger_id: str
    response_url: str
    text: str  # everything after the command, stripped
    subcommand: str  # the first word, lower-cased ("" for a bare `/persona`)
    args: str  # the rest after the first word


def parse_command(body: dict[str, Any]) -> CommandRequest:
    command = Command.of(body)  # typed at the door (`bot.listeners.requests`)
    text = " ".join(command.text.split())
    first, _, rest = text.partition(" ")
    return CommandRequest(
        team_id=command.team_id,
        user_id=command.user_id,
        channel_id=command.channel_id,
        trigger_id=command.trigger_id,
        response_url=command.response_url,
        text=text,
        subcommand=first.lower(),
        args=rest.strip(),
    )


Handler = Callable[[CommandRequest, Services, Ack, WebClient, Respond], None]


def show_help(req: CommandRequest, services: Services, ack: Ack, client: WebClient, respond: Respond) -> None:
    ack(response_type="ephemeral", blocks=build_help(), text="How to use /persona")


def show_list(req: CommandRequest, services: Services, ack: Ack, client: WebClient, respond: Respond) -> None:
    cards = services.lookup.list_active(req.team_id)
    ack(response_type="ephemeral", blocks=build_list(cards), text=plural(len(cards), "active persona"))


def show_lookup(req: CommandRequest, services: Services, ack: Ack, client: WebClient, respond: Respond) -> None:
    # Lookups are answered in the acknowledgement itself: one round trip, ephemeral, well inside 3 s.
    answer = services.lookup.lookup(req.team_id, req.text)
    if answer.outcome is LookupOutcome.CARD and answer.card is not None:
        outcome = services.outcomes.card_line(req.team_id, answer.card.id)  # None unless OUTCOMES_ON_CARD
        blocks = build_card(answer.card, outcome=outcome)
        ack(response_type="ephemeral", blocks=blocks, text=card_fallback(answer.card))
    elif answer.outcome is LookupOutcome.PICK:
        ack(response_type="ephemeral", blocks=build_pick_list(answer), text="Which persona did you mean?")
    else:
        ack(response_type="ephemeral", blocks=build_no_match(answer), text="No persona matched")


def after_answer(handler: Handler) -> Handler:
    """A subcommand that acks at once and then opens a modal or posts: acknowledged now, the handler runs after."""

    def acknowledge_first(
        req: CommandRequest, services: Services, ack: Ack, client: WebClient, respond: Respond
    ) -> None:
        ack()
        after_ack(handler, req, services, Ack(), client, respond)  # the handler's own ack() is then a no-op

    return acknowledge_first


def routes() -> dict[str, Handler]:
    """Subcommands by first word. Anything else is a search."""
    return {
        "": show_help,
        "help": show_help,
        "list": show_list,
        "new": handle_new,
        "edit": handle_edit,
        "history": handle_history,
        "reviews": handle_reviews,
        "report": request_report,
        "results": show_results,
        "feedback": after_answer(start_feedback),
        "checkin": show_checkin_status,
        "roster": handle_roster,
        "settings": handle_settings,
        "doctor": handle_doctor,
    }


def register(app: App, services: Services) -> None:
    table = routes()

    @app.command(ids.COMMAND)
    @answering
    def handle_persona_command(ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond) -> None:
        req = parse_command(body)
        handler = table.get(req.subcommand, show_lookup)
        handler(req, services, ack, client, respond)
