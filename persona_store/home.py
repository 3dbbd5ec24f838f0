"""What the App Home tab shows one person: a handful of SQL aggregates, never one query per persona.

Every query is scoped to one workspace. A manager's numbers come from the report's own aggregates
(`persona_store.aggregates.load_report`), so the Home tab and the spreadsheet always give the same verdict.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from persona_store.aggregates import VERDICT_ORDER, PersonaSummary, Verdict, load_report
from persona_store.models import CheckinRound, Feedback, Participation, Persona, PersonaStatus
from persona_store.quarters import Period, current_quarter

# Which verdicts a manager should look at first.
ATTENTION_ORDER = {
    Verdict.NEEDS_REVIEW: 0,
    Verdict.CONTESTED: 1,
    Verdict.NOT_ENOUGH_DATA: 2,
    Verdict.VALIDATED: 3,
}


@dataclass(frozen=True)
class PendingCheckin:
    participation_id: int
    round_id: int
    quarter: str
    due_date: date
    sent: bool


@dataclass(frozen=True)
class RecentFeedback:
    feedback_id: int
    persona_id: int
    persona_name: str
    fit: int | None
    not_met: bool
    source: str
    created_at: datetime


@dataclass(frozen=True)
class DueReview:
    persona_id: int
    persona_name: str
    reviewed_at: datetime


@dataclass(frozen=True)
class RoleFit:
    role: str
    ratings: int
    mean_fit: float | None


@dataclass(frozen=True)
class PersonaFit:
    persona_id: int
    persona_name: str
    ratings: int
    mean_fit: float | None
    not_met: int
    roles: tuple[RoleFit, ...]
    verdict: Verdict

    @classmethod
    def from_summary(cls, summary: PersonaSummary) -> PersonaFit:
        roles = tuple(
            RoleFit(role, stats.ratings, stats.mean_fit)
            for role, stats in sorted(summary.by_role.items())
            if stats.ratings
        )
        return cls(
            summary.persona_id, summary.name, summary.ratings, summary.mean_fit, summary.not_met, roles, summary.verdict
        )


@dataclass(frozen=True)
class ResponseRate:
    quarter: str
    participants: int
    answered: int
    skipped: int

    @property
    def rate(self) -> float | None:
        return self.answered / self.participants if self.participants else None


@dataclass(frozen=True)
class QuarterFit:
    quarter: str
    personas: tuple[PersonaFit, ...] = field(default_factory=tuple)
    responses: ResponseRate | None = None

    def needing_attention(self) -> list[PersonaFit]:
        """Needs review first, then contested, then too little data, then validated; fewer ratings first."""
        return sorted(self.personas, key=lambda p: (ATTENTION_ORDER[p.verdict], p.ratings, p.persona_name.lower()))

    def counts(self) -> dict[str, int]:
        totals = {verdict.value: 0 for verdict in VERDICT_ORDER}
        for persona in self.personas:
            totals[persona.verdict.value] += 1
        return totals


def pending_checkin(session: Session, workspace_id: int, user_id: str) -> PendingCheckin | None:
    """The person's part in an open round that they have neither answered nor skipped (latest round first)."""
    query = (
        select(Participation, CheckinRound)
        .join(CheckinRound, CheckinRound.id == Participation.round_id)
        .where(
            CheckinRound.workspace_id == workspace_id,
            CheckinRound.status == "open",
            Participation.slack_user_id == user_id,
            Participation.answered_at.is_(None),
            Participation.skipped_at.is_(None),
        )
        .order_by(CheckinRound.opened_at.desc(), CheckinRound.id.desc())
        .limit(1)
    )
    row = session.execute(query).first()
    if row is None:
        return None
    participation, round_ = row
    return PendingCheckin(
        participation_id=participation.id,
        round_id=round_.id,
        quarter=round_.quarter,
        due_date=round_.due_date,
        sent=participation.sent_at is not None,
    )


def recent_feedback(session: Session, workspace_id: int, user_id: str, limit: int = 5) -> list[RecentFeedback]:
    query = (
        select(Feedback, Persona.name)
        .join(Persona, Persona.id == Feedback.persona_id)
        .where(Feedback.workspace_id == workspace_id, Feedback.author_id == user_id)
        .order_by(Feedback.created_at.desc(), Feedback.id.desc())
        .limit(limit)
    )
    return [
        RecentFeedback(f.id, f.persona_id, name, f.fit, f.not_met, f.source, f.created_at)
        for f, name in session.execute(query)
    ]


def due_reviews(
    session: Session, workspace_id: int, owner_id: str, review_after_days: int, now: datetime
) -> list[DueReview]:
    """Active personas this person owns whose last review is older than `review_after_days`, oldest first."""
    cutoff = now - timedelta(days=review_after_days)
    query = (
        select(Persona.id, Persona.name, Persona.reviewed_at)
        .where(
            Persona.workspace_id == workspace_id,
            Persona.owner == owner_id,
            Persona.status == PersonaStatus.ACTIVE.value,
            Persona.reviewed_at < cutoff,
        )
        .order_by(Persona.reviewed_at, Persona.id)
    )
    return [DueReview(pid, name, reviewed_at) for pid, name, reviewed_at in session.execute(query)]


def quarter_fit(session: Session, workspace_id: int, now: datetime, review_after_days: int) -> QuarterFit:
    """The current quarter for a manager: every active persona's fit, role split and verdict, and the response rate."""
    period = Period.single(current_quarter(now))
    report = load_report(session, workspace_id, period, now, review_after_days)
    personas = tuple(PersonaFit.from_summary(p) for p in report.personas if p.status == PersonaStatus.ACTIVE.value)
    responses = None
    if report.roles:
        responses = ResponseRate(
            quarter=period.label,
            participants=sum(r.assigned for r in report.roles),
            answered=sum(r.answered for r in report.roles),
            skipped=sum(r.skipped for r in report.roles),
        )
    return QuarterFit(period.label, personas, responses)
