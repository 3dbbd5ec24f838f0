"""`/persona report [YYYY-Qn | YYYY-Qn..YYYY-Qn]` and the Home tab's Download report: the workbook in a DM.

The command is acknowledged at once; building and uploading happen on `services.report_builds` (bounded: one build
per requester and period, a cap per workspace, a bounded queue; never on Bolt's listener pool, and never on the
pool the check-in DM updates use). The upload is `bot.slack.uploads`, which the round close shares.
"""

from __future__ import annotations

import functools
import logging
from typing import Any

from slack_bolt import Ack, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.blocks.persona import build_message
from bot.listeners.requests import CommandHandler, CommandRequest
from bot.services import Services
from bot.services.report_builds import Admission
from bot.slack.calls import open_dm
from bot.slack.uploads import upload_report
from persona_store.quarters import Period, QuarterError

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


def queue_report(
    services: Services, client: WebClient, team_id: str, user_id: str, period: Period
) -> tuple[Admission, dict[str, Any]]:
    """Ask the bounded report builds for one workbook for `user_id`'s DM; returns the admission and what to tell
    the requester (blocks and text). `/persona report` and the Home tab's Download report both come here."""
    admission = services.report_builds.submit(
        (team_id, user_id, period.slug), functools.partial(deliver_report, services, client, team_id, user_id, period)
    )
    if admission is Admission.ALREADY:
        return admission, build_message("reports", "already_building", period.label)
    if admission is Admission.BUSY:
        log.info("report refused: builds are at their limit", extra={"team_id": team_id})
        return admission, build_message("reports", "busy")
    return admission, build_message("reports", "building", period.label)


def deliver_report(services: Services, client: WebClient, team_id: str, user_id: str, period: Period) -> None:
    """Build the report and DM it to `user_id` (or say there's nothing to report, or that it failed)."""
    channel: str | None = None
    try:
        channel = open_dm(client, user_id)
        report = services.reports.build(team_id, period)
        if report.empty:
            client.chat_postMessage(
                channel=channel, **build_message("reports", "nothing_yet", period.label, report.latest_with_data)
            )
            return
        upload_report(client, channel, report)
    except Exception:  # anything: the requester must hear about it, and the traceback must be logged
        log.exception("report delivery failed", extra={"team_id": team_id, "period": period.label})
        _tell_failure(client, channel or user_id, period)


def _tell_failure(client: WebClient, channel: str, period: Period) -> None:
    try:
        client.chat_postMessage(channel=channel, **build_message("reports", "failed", period.label))
    except SlackApiError:
        log.warning("could not tell the requester that the report failed", exc_info=True)


COMMANDS: dict[str, CommandHandler] = {"report": request_report}
