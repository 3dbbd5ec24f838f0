"""Revision drafts: what the evidence proposes to a persona's owner, and what the owner answered.

A draft is a disputed statement (the evidence model's RULE_DISPUTED: someone said it doesn't match, agreement is
below the threshold, and enough people judged its current wording) that its owner has not answered yet: "Reword or
remove pain point '…': 5 of 7 said it doesn't match", with up to three things those people wrote. Accepting one
opens the edit form; the saved revision records the decision with the evidence it cited (`revision_decisions`),
which `/persona history` shows. Dismissing records that the owner disagrees, and the draft is not proposed again for
that wording (a reworded statement starts afresh, RULE_FRESH_START). Queries take a Session and never commit.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from persona_store.db import insert_ignore
from persona_store.evidence import PersonaEvidence, StatementAgreement, in_period
from persona_store.models import AttributeCheck, CheckinRound, Feedback, RevisionDecision
from persona_store.quarters import Period

MAX_DRAFTS = 3  # per persona, in a review DM or on Home
MAX_QUOTES = 3
ACCEPTED = "accepted"
DISMISSED = "dismissed"


def statement_key(kind: str, text: str) -> str:
    """A short, stable name for one wording of one statement (button values and the decisions' unique key)."""
    return hashlib.sha256(f"{kind}\n{text}".encode()).hexdigest()[:32]


@dataclass(frozen=True)
class RevisionDraft:
    """One proposed revision: the statement, the evidence against it (the evidence model's counts) and quotes."""

    persona_id: int
    persona_name: str
    owner: str | None
    kind: str
    text: str
    doesnt: int
    judged: int
    period: str
    quotes: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        return statement_key(self.kind, self.text)


@dataclass(frozen=True)
class DecisionNote:
    """What `/persona history` shows beside a revision that carried out a draft."""

    revision_number: int
    kind: str
    text: str
    doesnt: int
    judged: int
    period: str
    decided_by: str


def _decided(session: Session, persona_ids: Iterable[int]) -> set[tuple[int, str]]:
    ids = sorted(set(persona_ids))
    if not ids:
        return set()
    rows = session.execute(
        select(RevisionDecision.persona_id, RevisionDecision.statement_key).where(RevisionDecision.persona_id.in_(ids))
    )
    return {(int(pid), str(key)) for pid, key in rows}


def _quotes(
    session: Session, workspace_id: int, persona_id: int, statement: StatementAgreement, period: Period
) -> tuple[str, ...]:
    """What people who said the statement doesn't match wrote (their "what's missing" or quote), newest first."""
    note = func.coalesce(func.nullif(func.trim(Feedback.missing_text), ""), func.trim(Feedback.evidence_message))
    rows = session.execute(
        select(note)
        .select_from(Feedback)
        .join(AttributeCheck, AttributeCheck.feedback_id == Feedback.id)
        .outerjoin(CheckinRound, Feedback.round_id == CheckinRound.id)
        .where(
            Feedback.workspace_id == workspace_id,
            Feedback.persona_id == persona_id,
            AttributeCheck.kind == statement.kind,
            AttributeCheck.text == statement.text,
            AttributeCheck.verdict == "doesnt",
            Feedback.revision_number >= statement.since_revision,
            in_period(period),
            or_(
                func.length(func.trim(Feedback.missing_text)) > 0, func.length(func.trim(Feedback.evidence_message)) > 0
            ),
        )
        .order_by(Feedback.updated_at.desc(), Feedback.id.desc())
        .limit(MAX_QUOTES)
    )
    return tuple(str(text) for (text,) in rows if text)


def drafts_for(
    session: Session, workspace_id: int, personas: Sequence[PersonaEvidence], *, limit: int = MAX_DRAFTS
) -> list[RevisionDraft]:
    """The open drafts of these personas (their evidence's disputed statements judged by enough people, which nobody
    answered), at most `limit` per persona, most disputed first."""
    decided = _decided(session, (p.persona_id for p in personas))
    drafts: list[RevisionDraft] = []
    for persona in personas:
        shown = 0
        for statement in (s for s in persona.disputed if s.revisable):
            if shown >= limit:
                break
            if (persona.persona_id, statement_key(statement.kind, statement.text)) in decided:
                continue
            shown += 1
            drafts.append(
                RevisionDraft(
                    persona_id=persona.persona_id,
                    persona_name=persona.name,
                    owner=persona.owner,
                    kind=statement.kind,
                    text=statement.text,
                    doesnt=statement.counts.doesnt,
                    judged=statement.counts.judged,
                    period=persona.period.label,
                    quotes=_quotes(session, workspace_id, persona.persona_id, statement, persona.period),
                )
            )
    return drafts


def find_draft(session: Session, workspace_id: int, persona: PersonaEvidence, key: str) -> RevisionDraft | None:
    """The open draft `key` names on this persona, re-derived from the evidence (a button value is only a hint)."""
    return next((d for d in drafts_for(session, workspace_id, [persona], limit=10_000) if d.key == key), None)


def record_decision(
    session: Session,
    workspace_id: int,
    draft: RevisionDraft,
    status: str,
    decided_by: str,
    now: datetime,
    revision_number: int | None = None,
) -> bool:
    """Record the owner's answer once per (persona, wording); False: it was already answered."""
    result = session.execute(
        insert_ignore(session, RevisionDecision).values(
            workspace_id=workspace_id,
            persona_id=draft.persona_id,
            statement_key=draft.key,
            kind=draft.kind,
            text=draft.text,
            period=draft.period,
            doesnt=draft.doesnt,
            judged=draft.judged,
            quotes=list(draft.quotes),
            status=status,
            decided_by=decided_by[:32],
            decided_at=now,
            revision_number=revision_number,
        )
    )
    return bool(getattr(result, "rowcount", 0))


def decision_notes(session: Session, workspace_id: int, persona_id: int) -> dict[int, list[DecisionNote]]:
    """Accepted drafts by the revision that carried them out."""
    rows = session.scalars(
        select(RevisionDecision)
        .where(
            RevisionDecision.workspace_id == workspace_id,
            RevisionDecision.persona_id == persona_id,
            RevisionDecision.status == ACCEPTED,
            RevisionDecision.revision_number.is_not(None),
        )
        .order_by(RevisionDecision.id)
    )
    found: dict[int, list[DecisionNote]] = {}
    for row in rows:
        assert row.revision_number is not None  # filtered above
        found.setdefault(row.revision_number, []).append(
            DecisionNote(row.revision_number, row.kind, row.text, row.doesnt, row.judged, row.period, row.decided_by)
        )
    return found
