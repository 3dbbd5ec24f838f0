"""Answers several features send: a built report uploaded to a channel or DM (`/persona report`, Home, the clock)."""

from __future__ import annotations

from typing import Protocol

from slack_sdk import WebClient

from bot.render import render_part


class Labelled(Protocol):
    @property
    def label(self) -> str: ...


class Report(Protocol):
    """What a built report (`bot.services.reports.Report`) gives the upload; the adapter needs no service."""

    @property
    def period(self) -> Labelled: ...
    @property
    def data(self) -> bytes: ...
    @property
    def filename(self) -> str: ...
    @property
    def headline(self) -> str: ...
    @property
    def empty(self) -> bool: ...


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
