"""`/persona …`: parse the text, route to one handler per subcommand, unknown words fall through to search."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot import ids
from bot.blocks.persona import build_card, build_help, build_list, build_no_match, build_pick_list, card_fallback
from bot.listeners import checkins, doctor, feedback, personas_admin, reports, results, roster, settings
from bot.listeners.acking import answering
from bot.listeners.requests import CommandHandler, CommandRequest, parse_command
from bot.render import render_part
from bot.services import Services
from bot.services.lookup import LookupOutcome


def show_help(req: CommandRequest, services: Services, ack: Ack, client: WebClient, respond: Respond) -> None:
    ack(response_type="ephemeral", blocks=build_help(), text=render_part("fallbacks", "help"))


def show_list(req: CommandRequest, services: Services, ack: Ack, client: WebClient, respond: Respond) -> None:
    cards = services.lookup.list_active(req.team_id)
    ack(response_type="ephemeral", blocks=build_list(cards), text=render_part("fallbacks", "persona_list", len(cards)))


def show_lookup(req: CommandRequest, services: Services, ack: Ack, client: WebClient, respond: Respond) -> None:
    # Lookups are answered in the acknowledgement itself: one round trip, ephemeral, well inside 3 s.
    answer = services.lookup.lookup(req.team_id, req.text)
    if answer.outcome is LookupOutcome.CARD and answer.card is not None:
        ack(response_type="ephemeral", blocks=build_card(answer.card), text=card_fallback(answer.card))
    elif answer.outcome is LookupOutcome.PICK:
        ack(response_type="ephemeral", blocks=build_pick_list(answer), text=render_part("fallbacks", "which_persona"))
    else:
        ack(response_type="ephemeral", blocks=build_no_match(answer), text=render_part("fallbacks", "no_match"))


def routes() -> dict[str, CommandHandler]:
    """Subcommands by first word, each feature's from its own module. Anything else is a search."""
    return {
        "": show_help,
        "help": show_help,
        "list": show_list,
        **personas_admin.COMMANDS,
        **reports.COMMANDS,
        **feedback.COMMANDS,
        **checkins.COMMANDS,
        **roster.COMMANDS,
        **settings.COMMANDS,
        **doctor.COMMANDS,
        **results.COMMANDS,
    }


def handle_persona_command(
    ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond, services: Services
) -> None:
    req = parse_command(body)
    routes().get(req.subcommand, show_lookup)(req, services, ack, client, respond)


def register(app: App, services: Services) -> None:
    app.command(ids.COMMAND)(answering(handle_persona_command))
