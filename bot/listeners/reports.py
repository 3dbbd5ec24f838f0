"""`/persona report [YYYY-Qn | YYYY-Qn..YYYY-Qn]` and the Home tab's Download report: the workbook in a DM.

The command is acknowledged at once; building and uploading happen on `services.background` (never on Bolt's
listener pool, so a burst of requests cannot starve lookups). `upload_report` is also what the check-in round
close uses to attach the same workbook to its summary.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot import ids
from bot.blocks.common import fallback_text
from bot.blocks.persona import build_text
from bot.listeners.acking import ack_then
from bot.render import render_part
from bot.services import Services
from bot.services.reports import Report
from persona_store.quarters import Period, QuarterError

if TYPE_CHECKING:
    from bot.listeners.commands import CommandRequest

log = logging.getLogger(__name__)


def request_report(req: CommandRequest, services: Services, ack: Ack, client: WebClient, respond: Respond) -> None:
    """Check who asks and what for, acknowledge, and hand the slow part to the background executor."""
    if not services.reports.may_request(req.team_id, req.user_id):
        ack(
            response_type="ephemeral",
            blocks=build_text("errors", "not_allowed", "the persona report"),
            text="Sorry, the persona report is only for managers and admins",
        )
        return
    try:
        period = services.reports.resolve_period(req.team_id, req.args or None)
    except QuarterError as error:
        ack(response_type="ephemeral", blocks=build_text("reports", "bad_quarter", str(error)), text=str(error))
        return
    ack(
        response_type="ephemeral",
        blocks=build_text("reports", "building", period.label),
        text=fallback_text(f"Building the persona report for {period.label}…"),
    )
    services.background.submit(deliver_report, services, client, req.team_id, req.user_id, period)


def register(app: App, services: Services) -> None:
    app.action(ids.ACTION_HOME_DOWNLOAD_REPORT)(ack_then(_home_download(services)))


def _home_download(services: Services) -> Any:
    def handle_home_download_report(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        """The Home tab has no response_url: refusals and problems go to the person's DM."""
        ack()
        user_id = str((body.get("user") or {}).get("id") or "")
        team_id = str((body.get("team") or {}).get("id") or (body.get("user") or {}).get("team_id") or "")
        value = next((str(a.get("value") or "") for a in body.get("actions") or []), "")
        if not services.reports.may_request(team_id, user_id):
            text = "Sorry, the persona report is only for managers and admins"
            client.chat_postMessage(
                channel=user_id, text=text, blocks=build_text("errors", "not_allowed", "the persona report")
            )
            return
        try:
            period = services.reports.resolve_period(team_id, value or None)
        except QuarterError as error:
            client.chat_postMessage(
                channel=user_id, text=str(error), blocks=build_text("reports", "bad_quarter", str(error))
            )
            return
        services.background.submit(deliver_report, services, client, team_id, user_id, period)

    return handle_home_download_report


def deliver_report(services: Services, client: WebClient, team_id: str, user_id: str, period: Period) -> None:
    """Build the report and DM it to `user_id` (or say there's nothing to report, or that it failed)."""
    channel: str | None = None
    try:
        channel = open_dm(client, user_id)
        report = services.reports.build(team_id, period)
        if report.empty:
            client.chat_postMessage(
                channel=channel,
                text=fallback_text(report.headline),
                blocks=build_text("reports", "nothing_yet", period.label, report.latest_with_data),
            )
            return
        upload_report(client, channel, report)
    except Exception:  # anything: the requester must hear about it, and the traceback must be logged
        log.exception("report delivery failed", extra={"team_id": team_id, "period": period.label})
        _tell_failure(client, channel or user_id, period)


def open_dm(client: WebClient, user_id: str) -> str:
    return str(client.conversations_open(users=user_id)["channel"]["id"])


def upload_report(client: WebClient, channel: str, report: Report, thread_ts: str | None = None) -> None:
    """Upload a built (non-empty) report to a channel or DM, its headline as the message."""
    if report.empty:
        raise ValueError("an empty report has no file to upload")
    comment = render_part("reports", "ready", report.period.label, report.headline)
    client.files_upload_v2(
        channel=channel,
        content=report.data,
        filename=report.filename,
        title=report.filename.removesuffix(".xlsx"),
        initial_comment=comment,
        thread_ts=thread_ts,
    )


def _tell_failure(client: WebClient, channel: str, period: Period) -> None:
    try:
        client.chat_postMessage(
            channel=channel,
            text=fallback_text(f"Sorry, I couldn't build the persona report for {period.label}"),
            blocks=build_text("reports", "failed", period.label),
        )
    except SlackApiError:
        log.warning("could not tell the requester that the report failed", exc_info=True)
