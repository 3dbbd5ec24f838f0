"""The managers' report: who may ask, which quarter, and the workbook with its one-line headline. No Slack calls.

`ReportService.build(team_id, period)` is what `/persona report`, `persona-bot report` and the check-in round
close all call. The figures come from the evidence model (`persona_store.evidence`), read in one short
transaction; the raw records and comments are then read in pages, each its own short transaction, so a large
export never holds the database (on SQLite every transaction takes the write lock) and never holds every record
in memory.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Row

from bot.evidence_text import rule_sentences
from bot.render import plural, render_part
from bot.services.access import Service
from bot.services.outcomes import OutcomesService
from persona_store import evidence, report_rows, themes
from persona_store.evidence import Evidence, EvidenceRules
from persona_store.models import utcnow
from persona_store.quarters import Period, Quarter, parse_period
from persona_store.report_rows import Comment
from persona_store.workspace_settings import load_settings
from persona_store.workspaces import ensure_workspace

PAGE_SIZE = 2000
Progress = Callable[[int, int], None]  # (records written so far, records in the report)

__all__ = ["PAGE_SIZE", "Progress", "Report", "ReportService"]


@dataclass(frozen=True)
class Report:
    """A built report. `empty` means there was nothing to say: `data` is then b"" and must not be sent."""

    period: Period
    data: bytes
    filename: str
    headline: str
    empty: bool
    evidence: Evidence
    responses: int  # raw feedback records in the period (rows of the Responses sheet)
    latest_with_data: str | None = None  # for an empty period: the latest quarter that has something


# "1 needs review", "2 need review"; the other verdicts read the same for any count.
VERDICT_PLURALS = {"needs review": "need review"}


def headline(data: Evidence) -> str:
    """e.g. "3 personas: 1 validated, 1 contested, 1 needs review; 60 % response (3 answered of 5: …)"."""
    counts = data.verdict_counts
    parts = [plural(counts[v], v.value, VERDICT_PLURALS.get(v.value)) for v in evidence.VERDICT_ORDER if counts[v]]
    return render_part("reports", "headline", len(data.personas), parts, data.participation.total)


def rule_lines(rules: EvidenceRules, anonymous: bool) -> list[str]:
    """The rules at the top of the Summary sheet, one per row, in the evidence model's words."""
    sentences = rule_sentences(rules.review_after_days, rules.min_group, anonymous)
    return [render_part("reports", "rules_heading"), *(f"• {sentences[name]}" for name in evidence.RULES)]


class ReportService(Service):
    def may_request(self, team_id: str, user_id: str) -> bool:
        """Managers on the roster and this workspace's admins (`bot.services.access`)."""
        return self._access.is_manager_or_admin(team_id, user_id)

    def resolve_period(self, team_id: str, text: str | Period | None = None, now: datetime | None = None) -> Period:
        """A typed quarter or range (QuarterError when unreadable), or the latest quarter on record."""
        if isinstance(text, Period):
            return text
        if text and text.strip():
            return parse_period(text)
        with self._sessions.begin() as s:
            return evidence.latest_period(s, ensure_workspace(s, team_id).id, now)

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
            # the workspace's anonymity, minimum group and review interval (`/persona settings`), else the environment's
            chosen = load_settings(s, workspace_id, self._settings.workspace_defaults())
            rules = chosen.evidence_rules()
            data = evidence.load_evidence(s, workspace_id, resolved, now=now, rules=rules)
            reps = report_rows.rep_participation(s, workspace_id, resolved)
            responses = report_rows.count_responses(s, workspace_id, resolved)
            record = evidence.quarters_on_record(s, workspace_id)
            grouped = themes.themes_for_period(s, workspace_id, resolved)
            coverage = evidence.statement_coverage(s, workspace_id, resolved, now=now, rules=rules, evidence=data)
        latest = next((q.label for q in reversed(record) if q not in resolved.quarters), None)
        filename = f"persona-report-{resolved.slug}.xlsx"
        if responses == 0 and not reps:
            message = render_part("reports", "nothing_yet", resolved.label, latest)
            return Report(resolved, b"", filename, message, True, data, responses, latest)
        # Not at the top: openpyxl costs 0.4 s to import, which every process start (the clock, each CLI command)
        # would pay; only a workbook build needs it (bench/crash_resume.py).
        from bot.report.workbook import WorkbookText, write_report

        anonymous = chosen.anonymous
        text = WorkbookText(
            title=render_part("reports", "title", resolved.label),
            subtitle=render_part(
                "reports",
                "subtitle",
                f"{now:%Y-%m-%d %H:%M}",
                responses,
                data.participation.rounds,
                data.previous_period.label,
                anonymous,
            ),
            rule_lines=rule_lines(rules, anonymous),
        )
        workbook = write_report(
            data,
            reps,
            self._responses(workspace_id, resolved, responses, progress),
            self._comments(workspace_id, resolved),
            text,
            anonymous=anonymous,
            outcomes=OutcomesService(self._sessions, self._settings).sheet(workspace_id, resolved, data, now),
            themes=grouped,
            coverage=coverage,
        )
        return Report(resolved, workbook, filename, headline(data), False, data, responses, latest)

    def _responses(
        self, workspace_id: int, period: Period, total: int, progress: Progress | None
    ) -> Iterator[Row[Any]]:
        after, done = 0, 0
        while True:
            with self._sessions.begin() as s:
                page = report_rows.response_page(s, workspace_id, period, after, PAGE_SIZE)
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
                page, after = report_rows.comment_page(s, workspace_id, period, after, PAGE_SIZE)
            yield from page
