"""Answers several features send: a built report uploaded to a channel or DM (`/persona report`, Home, the clock)."""

from __future__ import annotations

from slack_sdk import WebClient

from bot.render import render_part
from bot.services.reports import Report


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
