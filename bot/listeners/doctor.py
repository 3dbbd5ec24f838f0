"""`/persona doctor` (admins): the setup checks of `persona-bot doctor` for this workspace, ephemeral.

Acknowledged at once; the checks call Slack and the database, so they run on `services.background` and the
answer goes to the command's response_url.
"""

from __future__ import annotations

import logging

from slack_bolt import Ack, Respond
from slack_sdk import WebClient

from bot.blocks.doctor import build_doctor_report
from bot.blocks.persona import build_message
from bot.doctor import run_doctor
from bot.listeners.requests import CommandHandler, CommandRequest
from bot.services import Services

log = logging.getLogger(__name__)


def handle_doctor(req: CommandRequest, services: Services, ack: Ack, client: WebClient, respond: Respond) -> None:
    if not services.access.is_admin(req.team_id, req.user_id):
        ack(
            response_type="ephemeral",
            **build_message("doctor", "only_admins"),
        )
        return
    ack(response_type="ephemeral", **build_message("doctor", "checking"))
    services.background.submit(_run, services, client, req.team_id, respond)


def _run(services: Services, client: WebClient, team_id: str, respond: Respond) -> None:
    from bot.services.doctor import DoctorService
    from bot.slack.oauth import BOT_SCOPES

    engine = services.sessions.kw["bind"]
    try:
        report = run_doctor(
            services.settings,
            DoctorService(services.settings, BOT_SCOPES),
            lambda: engine,
            team_id=team_id,
            client=client,
        )
        message = build_doctor_report(report)
    except Exception:  # anything: the admin must hear about it, and the traceback must be logged
        log.exception("the doctor could not finish", extra={"team_id": team_id})
        message = build_message("errors", "unexpected")
    respond(response_type="ephemeral", replace_original=False, **message)


COMMANDS: dict[str, CommandHandler] = {"doctor": handle_doctor}
