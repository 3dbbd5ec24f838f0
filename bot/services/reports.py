"""The managers' report: who may ask, which quarter, and the workbook with its one-line headline. No Slack calls.

`ReportService.build(team_id, period)` is what `/persona report`, `persona-bot report` and the check-in round
close all call. The aggregates are read in one short transaction; the raw records and comments are then read in
pages, each its own short transaction, so a large export never holds the database (on SQLite every
transaction takes the write lock) and never holds every record in memory.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Row
from sqlalchemy.orm import Session, sessionmaker

from bot.config import Settings
from bot.render import render_part
from bot.spreadsheet import WorkbookText, write_report
from persona_store import aggregates, themes
from persona_store.aggregates import Comment, ReportData, Verdict
from persona_store.models import utcnow
from persona_store.quarters import Period, Quarter, QuarterError, parse_period
from persona_store.roster import is_manager
from persona_store.workspaces import ensure_workspace

PAGE_SIZE = 2000
Progress = Callable[[int, int], None]  # (records written so far, records in the report)

__all__ = ["PAGE_SIZE", "Progress", "QuarterError", "Report", "ReportService"]


@dataclass(frozen=True)
class Report:
    """A built report. `empty` means there was nothing to say: `data` is then b"" and must not be sent."""

    period: Period
    data: bytes
    filename: str
    headline: str
    empty: bool
    summary: ReportData
    latest_with_data: str | None = None  # for an empty period: the latest quarter that has something

    @property
    def responses(self) -> int:
        return self.summary.response_count


def headline(summary: ReportData) -> str:
    """e.g. "3 personas: 1 validated, 1 contested, 1 needs review; 62% response"."""
    counts = summary.verdict_counts
    parts = [f"{counts[v]} {v.value}" for v in aggregates.VERDICT_ORDER if counts[v]]
    return render_part("reports", "headline", len(summary.personas), parts, summary.response_rate)


def rule_lines(review_after_days: int) -> list[str]:
    text = render_part(
        "reports",
        "rule",
        aggregates.MIN_RATED_RESPONDENTS,
        aggregates.DISAGREEMENT_GAP,
        aggregates.MIN_RATINGS_PER_ROLE,
        aggregates.VALIDATED_MIN_MEAN,
        aggregates.VALIDATED_MIN_AGREEMENT,
        aggregates.PARTLY_WEIGHT,
        review_after_days,
    )
    return [line for line in text.splitlines() if line.strip()]


class ReportService:
    def __init__(self, sessions: sessionmaker[Session], settings: Settings) -> None:
        self._sessions = sessions
        self._settings = settings

    def may_request(self, team_id: str, user_id: str) -> bool:
        """Managers on the roster and persona-bot admins."""
        if self._settings.is_admin(user_id):
            return True
        with self._sessions.begin() as s:
            workspace = ensure_workspace(s, team_id)
            return is_manager(s, workspace.id, user_id)

    def resolve_period(self, team_id: str, text: str | Period | None = None, now: datetime | None = None) -> Period:
        """A typed quarter or range (QuarterError when unreadable), or the latest quarter on record."""
        if isinstance(text, Period):
            return text
        if text and text.strip():
            return parse_period(text)
        with self._sessions.begin() as s:
            return aggregates.latest_period(s, ensure_workspace(s, team_id).id, now)

    def build(
        self,
        team_id: str,
        period: str | Period | Quarter | None = None,
        *,
        now: datetime | None = None,
        progress: Progress | None = None,
    ) -> Report:
        """The workbook for one quarter or a range (default: the latest quarter on record)."""
        now = now or utcnow()
        if isinstance(period, Quarter):
            period = Period.single(period)
        resolved = self.resolve_period(team_id, period, now)
        with self._sessions.begin() as s:
            workspace_id = ensure_workspace(s, team_id).id
            summary = aggregates.load_report(s, workspace_id, resolved, now, self._settings.review_after_days)
            record = aggregates.quarters_on_record(s, workspace_id)
            grouped = themes.themes_for_period(s, workspace_id, resolved)
        latest = next((q.label for q in reversed(record) if q not in resolved.quarters), None)
        filename = f"persona-report-{resolved.slug}.xlsx"
        if summary.empty:
            message = render_part("reports", "nothing_yet", resolved.label, latest)
            return Report(resolved, b"", filename, message, True, summary, latest)
        anonymous = self._settings.anonymous_ratings
        text = WorkbookText(
            title=render_part("reports", "title", resolved.label),
            subtitle=render_part(
                "reports",
                "subtitle",
                f"{now:%Y-%m-%d %H:%M}",
                summary.response_count,
                summary.rounds,
                summary.previous_period.label,
                anonymous,
            ),
            rule_lines=rule_lines(self._settings.review_after_days),
        )
        data = write_report(
            summary,
            self._responses(workspace_id, resolved, summary.response_count, progress),
            self._comments(workspace_id, resolved),
            text,
            anonymous=anonymous,
            themes=grouped,
        )
        return Report(resolved, data, filename, headline(summary), False, summary, latest)

    def _responses(
        self, workspace_id: int, period: Period, total: int, progress: Progress | None
    ) -> Iterator[Row[Any]]:
        after, done = 0, 0
        while True:
            with self._sessions.begin() as s:
                page = aggregates.response_page(s, workspace_id, period, after, PAGE_SIZE)
            if not page:
                return
            yield from page
            after = page[-1][0]
            done += len(page)
            if progress is not None:
                progress(done, total)

    def _comments(self, workspace_id: int, period: Period) -> Iterator[Comment]:
        after: int | None = 0
        while after is not None:
            with self._sessions.begin() as s:
                page, after = aggregates.comment_page(s, workspace_id, period, after, PAGE_SIZE)
            yield from page


def verdict_of(report: Report, persona_name: str) -> Verdict | None:
    """The verdict for one persona in a built report (handy for summaries and tests)."""
    return next((p.verdict for p in report.summary.personas if p.name == persona_name), None)
