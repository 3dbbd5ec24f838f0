"""What the App Home tab shows one person, read with a handful of SQL aggregates (never one query per persona).

Every query is scoped to one workspace. Quarters are calendar quarters in UTC ("2026-Q4"); the verdict rule is
deliberately simple and lives in `verdict()` so the report and the Home tab can share one rule.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from persona_store.models import CheckinRound, Feedback, Participation, Persona, PersonaStatus

# A persona needs this many ratings in a quarter before the Home tab calls it either way.
MIN_RATINGS_FOR_VERDICT = 3


def quarter_of(moment: datetime | date) -> str:
    return f"{moment.year}-Q{(moment.month - 1) // 3 + 1}"


def quarter_bounds(quarter: str) -> tuple[datetime, datetime]:
    """[start, end) of a quarter like "2026-Q4", as aware UTC datetimes."""
    year, q = int(quarter[:4]), int(quarter[-1])
    start = datetime(year, 3 * (q - 1) + 1, 1, tzinfo=UTC)
    end = datetime(year + 1, 1, 1, tzinfo=UTC) if q == 4 else datetime(year, 3 * q + 1, 1, tzinfo=UTC)
    return start, end


def verdict(mean_fit: float | None, ratings: int, not_met: int = 0) -> str:
    """`holds` (mean ≥ 4), `mixed` (≥ 3), `weak` (below 3), or `unknown` with too few ratings to say."""
    if mean_fit is None or ratings < MIN_RATINGS_FOR_VERDICT:
        return "unknown"
    if mean_fit >= 4.0:
        return "holds"
    if mean_fit >= 3.0:
        return "mixed"
    return "weak"


# Which verdicts a manager should look at first.
ATTENTION_ORDER = {"weak": 0, "unknown": 1, "mixed": 2, "holds": 3}


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
    verdict: str


@dataclass(frozen=True)
class ResponseRate:
    quarter: str
    status: str
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

    def needing_attention(self) -> list[PersonaFit]:
        """Weak first, then unrated, then mixed, then holding up; fewer ratings first within each."""
        return sorted(self.personas, key=lambda p: (ATTENTION_ORDER[p.verdict], p.ratings, p.persona_name.lower()))

    def counts(self) -> dict[str, int]:
        totals = dict.fromkeys(ATTENTION_ORDER, 0)
        for persona in self.personas:
            totals[persona.verdict] += 1
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


def quarter_fit(session: Session, workspace_id: int, quarter: str) -> QuarterFit:
    """Every active persona's fit this quarter: mean, count, not-met count and the split by the rater's role."""
    start, end = quarter_bounds(quarter)
    in_quarter = and_(
        Feedback.persona_id == Persona.id,
        Feedback.workspace_id == workspace_id,
        Feedback.created_at >= start,
        Feedback.created_at < end,
    )
    query = (
        select(
            Persona.id,
            Persona.name,
            Feedback.author_role,
            func.count(Feedback.fit),
            func.sum(Feedback.fit),
            func.count(Feedback.id).filter(Feedback.not_met.is_(True)),
        )
        .outerjoin(Feedback, in_quarter)
        .where(Persona.workspace_id == workspace_id, Persona.status == PersonaStatus.ACTIVE.value)
        .group_by(Persona.id, Persona.name, Feedback.author_role)
        .order_by(Persona.name_folded, Persona.id)
    )
    names: dict[int, str] = {}
    by_persona: dict[int, list[tuple[str, int, int, int]]] = {}
    for persona_id, name, role, ratings, fit_sum, not_met in session.execute(query):
        names[persona_id] = name
        rows = by_persona.setdefault(persona_id, [])
        if role is not None:
            rows.append((role, int(ratings or 0), int(fit_sum or 0), int(not_met or 0)))
    personas = []
    for persona_id, name in names.items():
        rows = by_persona[persona_id]
        ratings = sum(r[1] for r in rows)
        total = sum(r[2] for r in rows)
        not_met = sum(r[3] for r in rows)
        mean = total / ratings if ratings else None
        roles = tuple(
            RoleFit(role, n, (s / n) if n else None) for role, n, s, _ in sorted(rows, key=lambda r: r[0]) if n
        )
        personas.append(PersonaFit(persona_id, name, ratings, mean, not_met, roles, verdict(mean, ratings, not_met)))
    return QuarterFit(quarter, tuple(personas))


def response_rate(session: Session, workspace_id: int, quarter: str) -> ResponseRate | None:
    """Answered and skipped parts of the quarter's round (or the latest round when this quarter has none)."""
    round_ = session.scalar(
        select(CheckinRound).where(CheckinRound.workspace_id == workspace_id, CheckinRound.quarter == quarter)
    ) or session.scalar(
        select(CheckinRound)
        .where(CheckinRound.workspace_id == workspace_id)
        .order_by(CheckinRound.opened_at.desc(), CheckinRound.id.desc())
        .limit(1)
    )
    if round_ is None:
        return None
    participants, answered, skipped = session.execute(
        select(
            func.count(Participation.id),
            func.count(Participation.answered_at),
            func.count(Participation.skipped_at),
        ).where(Participation.round_id == round_.id)
    ).one()
    return ResponseRate(round_.quarter, round_.status, int(participants), int(answered), int(skipped))
