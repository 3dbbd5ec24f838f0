"""The managers' report's raw rows: feedback records, free-text comments and each rep's part in the rounds.

No figure is computed here: every mean, count of people, share and verdict comes from `persona_store.evidence`.
These are the report's raw exports, read in pages by id (keyset) so a caller can stream them without holding a
long transaction or every record in memory. Every query is scoped by workspace; the period rule is the evidence
model's (`evidence.in_period`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Select, and_, case, func, or_, select
from sqlalchemy.engine import Row
from sqlalchemy.orm import Session

from persona_store.evidence import in_period, round_quarter
from persona_store.models import AttributeCheck, CheckinRound, Feedback, Participation, Persona, RosterMember
from persona_store.quarters import Period, quarter_of

_SelectT = TypeVar("_SelectT", bound=Select)  # any column tuple


def _feedback_in(select_: _SelectT, workspace_id: int, period: Period) -> _SelectT:
    return (
        select_.select_from(Feedback)
        .outerjoin(CheckinRound, Feedback.round_id == CheckinRound.id)
        .where(Feedback.workspace_id == workspace_id, in_period(period))
    )


def _named_feedback_in(select_: _SelectT, workspace_id: int, period: Period) -> _SelectT:
    """`_feedback_in`, joined to each record's persona and (when on the roster) its author, for their names."""
    return (
        _feedback_in(select_, workspace_id, period)
        .join(Persona, Persona.id == Feedback.persona_id)
        .outerjoin(
            RosterMember,
            and_(RosterMember.workspace_id == Feedback.workspace_id, RosterMember.slack_user_id == Feedback.author_id),
        )
    )


# --- each rep's part in the period's rounds (a row per person; the rates are evidence.participation) ----------


@dataclass(frozen=True)
class RepParticipation:
    slack_user_id: str
    name: str
    role: str
    assigned: int
    sent: int
    answered: int
    skipped: int
    skip_reasons: tuple[str, ...]
    reminders: int
    unreachable: int
    unreachable_reasons: tuple[str, ...]


def rep_participation(session: Session, workspace_id: int, period: Period) -> list[RepParticipation]:
    scope = and_(CheckinRound.workspace_id == workspace_id, round_quarter().in_(period.labels))
    counts = (
        select(
            Participation.slack_user_id,
            Participation.role,
            func.count(),
            func.count(Participation.sent_at),
            func.count(Participation.answered_at),
            func.count(Participation.skipped_at),
            func.coalesce(func.sum(Participation.reminder_count), 0),
            func.count(Participation.unreachable_at),
        )
        .join(CheckinRound, Participation.round_id == CheckinRound.id)
        .where(scope)
        .group_by(Participation.slack_user_id, Participation.role)
    )
    reasons: dict[tuple[str, str], list[str]] = defaultdict(list)
    for column, kind in ((Participation.skip_reason, "skip"), (Participation.unreachable_reason, "unreachable")):
        query = (
            select(Participation.slack_user_id, column, func.count())
            .join(CheckinRound, Participation.round_id == CheckinRound.id)
            .where(scope, column.is_not(None), column != "")
            .group_by(Participation.slack_user_id, column)
            .order_by(Participation.slack_user_id, column)
        )
        for user_id, reason, count in session.execute(query):
            reasons[(user_id, kind)].append(str(reason) if count == 1 else f"{reason} ×{count}")
    rows = list(session.execute(counts))
    names: dict[str, str] = {
        user_id: name
        for user_id, name in session.execute(
            select(RosterMember.slack_user_id, RosterMember.name).where(
                RosterMember.workspace_id == workspace_id,
                RosterMember.slack_user_id.in_({row[0] for row in rows}),
            )
        )
    }
    reps = [
        RepParticipation(
            slack_user_id=user_id,
            name=names.get(user_id, user_id),
            role=role,
            assigned=int(assigned),
            sent=int(sent),
            answered=int(answered),
            skipped=int(skipped),
            skip_reasons=tuple(reasons[(user_id, "skip")]),
            reminders=int(reminders),
            unreachable=int(unreachable),
            unreachable_reasons=tuple(reasons[(user_id, "unreachable")]),
        )
        for user_id, role, assigned, sent, answered, skipped, reminders, unreachable in rows
    ]
    reps.sort(key=lambda r: (r.role, r.name.casefold(), r.slack_user_id))
    return reps


# --- counts of raw records (how many rows the raw sheets will have) -----------------------------------------


def count_comments(session: Session, workspace_id: int, period: Period) -> int:
    has_text = [case((column != "", 1), else_=0) for column in (Feedback.missing_text, Feedback.objections_text)] + [
        case((or_(Feedback.evidence_ref != "", Feedback.evidence_permalink != ""), 1), else_=0)
    ]
    query = _feedback_in(
        select(func.coalesce(func.sum(has_text[0] + has_text[1] + has_text[2]), 0)), workspace_id, period
    )
    return int(session.scalar(query) or 0)


def count_responses(session: Session, workspace_id: int, period: Period) -> int:
    return int(session.scalar(_feedback_in(select(func.count()), workspace_id, period)) or 0)


# --- raw records and comments, in pages ---------------------------------------------------------------------------

RESPONSE_COLUMNS = (
    "id",
    "created_at",
    "quarter",
    "persona",
    "revision_number",
    "author_name",
    "author_id",
    "author_role",
    "source",
    "fit",
    "not_met",
    "journey_stage",
    "matches",
    "partly",
    "doesnt",
    "not_seen",
    "missing_text",
    "objections_text",
    "evidence_ref",
    "evidence_permalink",
    "evidence_message",
)


def _page_ids(
    session: Session, workspace_id: int, period: Period, after_id: int, limit: int, extra: Sequence[Any] = ()
) -> list[int]:
    query = (
        _feedback_in(select(Feedback.id), workspace_id, period)
        .where(Feedback.id > after_id, *extra)
        .order_by(Feedback.id)
        .limit(limit)
    )
    return list(session.scalars(query))


def response_page(
    session: Session, workspace_id: int, period: Period, after_id: int = 0, limit: int = 2000
) -> list[Row[Any]]:
    """The next `limit` raw feedback records after `after_id`, oldest id first, as rows of RESPONSE_COLUMNS."""
    ids = _page_ids(session, workspace_id, period, after_id, limit)
    if not ids:
        return []
    upper = ids[-1]
    verdicts = (
        select(
            AttributeCheck.feedback_id.label("feedback_id"),
            *[
                func.sum(case((AttributeCheck.verdict == v, 1), else_=0)).label(v)
                for v in ("matches", "partly", "doesnt", "not_seen")
            ],
        )
        .where(AttributeCheck.feedback_id > after_id, AttributeCheck.feedback_id <= upper)
        .group_by(AttributeCheck.feedback_id)
        .subquery()
    )
    query = (
        _named_feedback_in(
            select(
                Feedback.id,
                Feedback.created_at,
                round_quarter(),
                Persona.name,
                Feedback.revision_number,
                RosterMember.name,
                Feedback.author_id,
                Feedback.author_role,
                Feedback.source,
                Feedback.fit,
                Feedback.not_met,
                Feedback.journey_stage,
                verdicts.c.matches,
                verdicts.c.partly,
                verdicts.c.doesnt,
                verdicts.c.not_seen,
                Feedback.missing_text,
                Feedback.objections_text,
                Feedback.evidence_ref,
                Feedback.evidence_permalink,
                Feedback.evidence_message,
            ),
            workspace_id,
            period,
        )
        .outerjoin(verdicts, verdicts.c.feedback_id == Feedback.id)
        .where(Feedback.id > after_id, Feedback.id <= upper)
        .order_by(Feedback.id)
    )
    return list(session.execute(query))


@dataclass(frozen=True)
class Comment:
    feedback_id: int
    created_at: datetime
    quarter: str
    persona: str
    role: str
    author_id: str
    author_name: str
    kind: str  # missing | objection | evidence
    text: str
    link: str


def comment_page(
    session: Session, workspace_id: int, period: Period, after_id: int = 0, limit: int = 2000
) -> tuple[list[Comment], int | None]:
    """Free-text answers from the next `limit` records that have any, and the id to continue after (None: done)."""
    has_text = or_(
        Feedback.missing_text != "",
        Feedback.objections_text != "",
        Feedback.evidence_ref != "",
        Feedback.evidence_permalink != "",
    )
    ids = _page_ids(session, workspace_id, period, after_id, limit, extra=[has_text])
    if not ids:
        return [], None
    query = (
        _named_feedback_in(
            select(
                Feedback.id,
                Feedback.created_at,
                round_quarter(),
                Persona.name,
                Feedback.author_role,
                Feedback.author_id,
                RosterMember.name,
                Feedback.missing_text,
                Feedback.objections_text,
                Feedback.evidence_ref,
                Feedback.evidence_permalink,
            ),
            workspace_id,
            period,
        )
        .where(Feedback.id > after_id, Feedback.id <= ids[-1], has_text)
        .order_by(Feedback.id)
    )
    comments: list[Comment] = []
    for (
        fid,
        created,
        round_label,
        persona,
        role,
        author_id,
        author_name,
        missing,
        objections,
        ref,
        link,
    ) in session.execute(query):
        quarter = round_label or quarter_of(created).label
        base = (fid, created, quarter, persona, role, author_id, author_name or author_id)
        if missing:
            comments.append(Comment(*base, "missing", missing, ""))
        if objections:
            comments.append(Comment(*base, "objection", objections, ""))
        if ref or link:
            comments.append(Comment(*base, "evidence", ref, link))
    return comments, ids[-1]
