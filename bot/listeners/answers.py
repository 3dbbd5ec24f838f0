"""Answers several features send: the check-in modal (the DM's Start, Home's Start), a report queued for a DM
(`/persona report`, Home's and the results' Download report) and a person's Home tab published again.

Shared here so that no listener calls another as a library (the import-linter contract `features-apart`).
"""

from __future__ import annotations

import functools
import logging
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.blocks.checkins import build_checkin_page, build_notice
from bot.blocks.home import build_home
from bot.blocks.persona import build_message
from bot.services import Services
from bot.services.report_builds import Admission
from bot.slack.calls import open_dm
from bot.slack.uploads import upload_report
from persona_store.checkins import RoundClosed
from persona_store.quarters import Period

log = logging.getLogger(__name__)


def open_checkin_modal(
    services: Services, client: WebClient, team_id: str, user_id: str, round_id: int, trigger_id: str
) -> dict[str, Any] | None:
    """Open the check-in modal on its first page (the DM's Start and Home's Start); returns a notice to show
    instead when it can't be opened."""
    try:
        page = services.checkins.begin(team_id, round_id, user_id)
    except RoundClosed:
        info = services.checkins.round_info(team_id, round_id)
        return build_notice("closed", info.quarter if info else "")
    except LookupError:
        return build_notice("not_part")
    if not page.personas:
        return build_notice("no_personas")
    client.views_open(trigger_id=trigger_id, view=build_checkin_page(page, 0))
    return None


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


def publish_home(team_id: str, user_id: str, services: Services, client: WebClient) -> None:
    """Build and publish the person's Home tab. Publishing is idempotent, so Slack's event retries are harmless."""
    if not user_id or not team_id:
        return  # a payload without a person: nothing to draw
    view = services.home.build_for(team_id, user_id)
    client.views_publish(user_id=user_id, view=build_home(view))
