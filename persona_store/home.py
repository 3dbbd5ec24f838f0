"""What the App Home tab shows one person besides figures: their pending check-in and their recent feedback.

Every query is scoped to one workspace. Every figure on Home (fit, verdicts, response rate, review due) comes from
the evidence model (`persona_store.evidence`), so Home and every other surface say the same thing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from persona_store.checkins import personas_for_role
from persona_store.models import CheckinRound, Feedback, Participation, Persona
from persona_store.personas import list_personas
from persona_store.question_selection import NO_ESTIMATE, CheckinEstimate, estimate_for


@dataclass(frozen=True)
class PendingCheckin:
    participation_id: int
    round_id: int
    quarter: str
    due_date: date
    sent: bool
    # the time estimate: the real number of questions (`question_selection.estimate`), as the DM says it
    estimate: CheckinEstimate = NO_ESTIMATE


@dataclass(frozen=True)
class RecentFeedback:
    feedback_id: int
    persona_id: int
    persona_name: str
    fit: int | None
    not_met: bool
    source: str
    created_at: datetime


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
        estimate=estimate_for(personas_for_role(list_personas(session, workspace_id), participation.role)),
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
