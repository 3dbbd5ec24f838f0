"""`/persona report [YYYY-Qn | YYYY-Qn..YYYY-Qn]` and the Home tab's Download report: the workbook in a DM.

The command is acknowledged at once; building and uploading happen on `services.report_builds` (bounded: one build
per requester and period, a cap per workspace, a bounded queue; never on Bolt's listener pool, and never on the
pool the check-in DM updates use): `queue_report` in `bot.listeners.answers`, which Home and the results share.
The upload is `bot.slack.uploads`, which the round close shares.
"""

from __future__ import annotations

import logging

from slack_bolt import Ack, Respond
from slack_sdk import WebClient

from bot.blocks.persona import build_message
from bot.listeners.answers import queue_report
from bot.listeners.requests import CommandHandler, CommandRequest
from bot.services import Services
from persona_store.quarters import QuarterError

log = logging.getLogger(__name__)


def request_report(req: CommandRequest, services: Services, ack: Ack, client: WebClient, respond: Respond) -> None:
    """Check who asks and what for, hand the slow part to the bounded report builds, and say which it was."""
    if not services.reports.may_request(req.team_id, req.user_id):
        ack(response_type="ephemeral", **build_message("errors", "not_allowed", "the persona report"))
        return
    try:
        period = services.reports.resolve_period(req.team_id, req.args or None)
    except QuarterError as error:
        # The reason quotes what was typed: it goes through the template's escaping, blocks and text alike.
        ack(response_type="ephemeral", **build_message("reports", "bad_quarter", str(error)))
        return
    ack(response_type="ephemeral", **queue_report(services, client, req.team_id, req.user_id, period)[1])


COMMANDS: dict[str, CommandHandler] = {"report": request_report}
