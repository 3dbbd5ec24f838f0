"""The round summary's chart: fit by role per persona (worst first), uploaded under the summary once per target.

The same ledger as the summary and its workbook: a key per (round, target) (`…:chart:…`), claimed before the
upload and completed after it, so a restarted or doubled clock never posts the picture twice. An upload can't be
looked up afterwards, so a failed one is released and retried on the next tick.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import replace

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from bot.checkin_delivery import DeliveryReport
from bot.render import render_part
from bot.report.charts import MAX_PERSONAS, render_fit_chart
from bot.services.checkins import CheckinService, Outgoing, RoundSummary
from bot.services.results import chart_fits, worst_first

log = logging.getLogger("persona_bot.jobs")


def chart_key(target: Outgoing) -> str:
    return target.key.replace(":summary:", ":chart:")


def attach_chart(
    checkins: CheckinService,
    client: WebClient,
    team_id: str,
    target: Outgoing,
    summary: RoundSummary,
    report: DeliveryReport,
) -> None:
    """Upload the chart into the summary's channel or DM (once per target); nothing when no bar would be drawn."""
    fits = chart_fits(sorted(summary.personas, key=worst_first)[:MAX_PERSONAS])
    # A round-level attachment, like the workbook: the ledger's "workbook" kind (no rep's participation changes).
    item = replace(target, key=chart_key(target), kind="workbook")
    token = uuid.uuid4().hex
    if not checkins.claim(team_id, item, token):
        return
    if not any(p.overall is not None or any(r.fit is not None for r in p.roles) for p in fits):
        checkins.complete(team_id, item, token, None, "empty")  # nothing to draw, ever: later ticks skip it
        return
    quarter = summary.status.round.quarter
    image = render_fit_chart(fits, period=quarter[:7])
    try:
        channel = target.user_id
        if not channel.startswith(("C", "G", "D")):
            channel = str(client.conversations_open(users=target.user_id)["channel"]["id"])
        client.files_upload_v2(
            channel=channel,
            content=image.png,
            filename=image.filename,
            title=render_part("results", "summary_chart_comment", quarter[:7]),
            alt_txt=image.alt_text,
            initial_comment=render_part("results", "summary_chart_comment", quarter[:7]),
        )
    except (SlackApiError, SlackClientError, OSError) as error:
        checkins.release(team_id, item, token)
        report.failed.append((target.user_id, f"chart: {type(error).__name__}"))
        return
    checkins.complete(team_id, item, token, None, None)


__all__ = ["attach_chart", "chart_key"]
