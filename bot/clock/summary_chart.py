"""The round summary's chart: fit by role per persona (worst first), uploaded under the summary once per target.

It goes through the one sender (`bot.slack.delivery.deliver_once`) like the summary's workbook: a ledger key per
(round, target) (`…:chart:…`), so a restarted or doubled clock never posts the picture twice.
"""

from __future__ import annotations

from dataclasses import replace

from slack_sdk import WebClient

from bot.render import render_part
from bot.report.charts import MAX_PERSONAS, ChartImage, render_fit_chart
from bot.services.outbox import Outgoing
from bot.services.results import chart_fits
from bot.services.summary import RoundSummary
from persona_store.evidence import worst_first


def chart_item(target: Outgoing) -> Outgoing:
    """The chart's place in the outbox, beside the summary it goes under."""
    return replace(target, key=target.key.replace(":summary:", ":chart:"), kind="chart")


def summary_chart(summary: RoundSummary) -> ChartImage | None:
    """The chart of the round's personas; None when no bar would be drawn (nothing to send, ever)."""
    fits = chart_fits(sorted(summary.personas, key=worst_first)[:MAX_PERSONAS])
    if not any(p.overall is not None or any(r.fit is not None for r in p.roles) for p in fits):
        return None
    return render_fit_chart(fits, period=summary.status.round.quarter[:7])


def upload_chart(client: WebClient, channel: str, image: ChartImage, quarter: str) -> None:
    comment = render_part("results", "summary_chart_comment", quarter[:7])
    client.files_upload_v2(
        channel=channel,
        content=image.png,
        filename=image.filename,
        title=comment,
        alt_txt=image.alt_text,
        initial_comment=comment,
    )


__all__ = ["chart_item", "summary_chart", "upload_chart"]
