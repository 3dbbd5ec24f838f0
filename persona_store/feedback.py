"""Feedback records: what a person on the front line said about one persona, stored exactly once.

Queries and rules taking a Session; the caller owns the transaction and nothing here commits. Exactly-once lives
in the database: `feedback` has a unique key (workspace_id, submission_key), and `record_feedback` inserts with
`INSERT … ON CONFLICT DO NOTHING` and then reads the row back, so any number of identical submissions arriving
together store one row and all of them succeed.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.orm.attributes import set_committed_value

from persona_store.db import insert_ignore
from persona_store.models import (
    ATTRIBUTE_KINDS,
    FEEDBACK_ROLES,
    JOURNEY_STAGES,
    SOURCES,
    VERDICTS,
    AttributeCheck,
    Feedback,
    Persona,
    PersonaRevision,
    utcnow,
)
from persona_store.personas import get_persona

__all__ = [
    "FIT_SCALE",
    "FeedbackAnswers",
    "FeedbackError",
    "NotAuthor",
    "PersonaUnavailable",
    "attributes_at",
    "checkin_submission_key",
    "delete_feedback",
    "get_feedback",
    "recent_feedback_for_user",
    "record_feedback",
    "stored_answers",
    "update_feedback",
]

FIT_SCALE = (1, 2, 3, 4, 5)
_ATTRIBUTE_FIELDS = {"goal": "goals", "pain_point": "pain_points", "objection": "objections"}


class FeedbackError(ValueError):
    """Feedback that can't be stored as given; the message is one line for a person or a log."""


class PersonaUnavailable(FeedbackError):
    """The persona is unknown in this workspace, or retired."""


class RoundAnswer(FeedbackError):
    """A check-in answer belongs to its round: changed only through the round's own path, while it is open."""


class NotAuthor(FeedbackError):
    """Only the author may change or delete their feedback."""


@dataclass(frozen=True)
class FeedbackAnswers:
    """One person's answers about one persona, free of Slack: what a form parser returns and the store records.

    - `persona_id`, `revision_number`: the persona and the revision whose statements the person was shown
      (verdict positions refer to that revision's goals, then pain points, then objections).
    - `role`: one of `FEEDBACK_ROLES` (sales, success, onboarding, marketing, other).
    - `fit`: 1–5, or None; `not_met=True` means "haven't met this persona lately" (never averaged as a score).
    - `verdicts`: attribute position -> one of `VERDICTS` (matches, partly, doesnt, not_seen); unanswered
      positions are simply absent.
    - texts as typed (`missing_text`, `objections_text`, `evidence_ref`, `evidence_message`), the message's
      `evidence_permalink` when it came from a message shortcut, and an optional `journey_stage`.
    """

    persona_id: int
    revision_number: int
    role: str
    fit: int | None = None
    not_met: bool = False
    verdicts: Mapping[int, str] = field(default_factory=dict)
    missing_text: str = ""
    objections_text: str = ""
    evidence_ref: str = ""
    evidence_message: str = ""
    evidence_permalink: str = ""
    journey_stage: str | None = None

    def problems(self) -> list[str]:
        """What makes these answers unstorable (a form parser should have caught each one with a nicer word)."""
        found: list[str] = []
        if self.role not in FEEDBACK_ROLES:
            found.append(f"role must be one of {', '.join(FEEDBACK_ROLES)}")
        if self.not_met and self.fit is not None:
            found.append("a fit score and 'not met' exclude each other")
        if not self.not_met and self.fit not in FIT_SCALE:
            found.append("fit must be 1 to 5, or not met")
        if any(v not in VERDICTS for v in self.verdicts.values()):
            found.append(f"verdicts must be one of {', '.join(VERDICTS)}")
        if self.journey_stage is not None and self.journey_stage not in JOURNEY_STAGES:
            found.append(f"journey stage must be one of {', '.join(JOURNEY_STAGES)}")
        return found

    @classmethod
    def from_record(cls, feedback: Feedback) -> FeedbackAnswers:
        """The answers a stored record holds (what an Edit form is pre-filled with)."""
        return cls(
            persona_id=feedback.persona_id,
            revision_number=feedback.revision_number,
            verdicts={check.position: check.verdict for check in feedback.attribute_checks},
            **stored_answers(feedback),
        )


def stored_answers(feedback: Feedback) -> dict[str, Any]:
    """A record's answers as FeedbackAnswers (and a receipt) name them: role, fit and what the person wrote."""
    return {
        "role": feedback.author_role,
        "fit": feedback.fit,
        "not_met": feedback.not_met,
        "missing_text": feedback.missing_text,
        "objections_text": feedback.objections_text,
        "evidence_ref": feedback.evidence_ref,
        "evidence_message": feedback.evidence_message,
        "evidence_permalink": feedback.evidence_permalink,
        "journey_stage": feedback.journey_stage,
    }


def checkin_submission_key(round_id: int, persona_id: int, user_id: str) -> str:
    """The key of one person's (revisable) check-in answer about one persona in one round."""
    return f"checkin:{round_id}:{persona_id}:{user_id}"


def attributes_at(session: Session, persona: Persona, revision_number: int) -> list[tuple[str, str]]:
    """The persona's checkable statements (kind, text) as they read in `revision_number`.

    A person may answer against a revision that was edited while their form was open; their verdicts belong to
    the statements they saw, which the revision snapshot keeps.
    """
    if revision_number == persona.revision_number:
        return persona.attributes()
    snapshot = session.scalar(
        select(PersonaRevision.snapshot).where(
            PersonaRevision.persona_id == persona.id, PersonaRevision.number == revision_number
        )
    )
    if snapshot is None:
        raise FeedbackError(f"persona {persona.id} has no revision {revision_number}")
    return [(kind, str(text)) for kind in ATTRIBUTE_KINDS for text in snapshot.get(_ATTRIBUTE_FIELDS[kind]) or ()]


def _persona_for(session: Session, workspace_id: int, answers: FeedbackAnswers) -> Persona:
    persona = get_persona(session, workspace_id, answers.persona_id)
    if persona is None or not persona.active:
        raise PersonaUnavailable(f"persona {answers.persona_id} is not an active persona of this workspace")
    return persona


def _checks(session: Session, persona: Persona, answers: FeedbackAnswers) -> list[AttributeCheck]:
    attributes = attributes_at(session, persona, answers.revision_number)
    checks = []
    for position, verdict in sorted(answers.verdicts.items()):
        if not 0 <= position < len(attributes):
            raise FeedbackError(f"persona {persona.id} revision {answers.revision_number} has no statement {position}")
        kind, text = attributes[position]
        checks.append(AttributeCheck(position=position, kind=kind, text=text, verdict=verdict))
    return checks


def _answer_columns(answers: FeedbackAnswers) -> dict[str, object]:
    return {
        "persona_id": answers.persona_id,
        "revision_number": answers.revision_number,
        "author_role": answers.role,
        "fit": None if answers.not_met else answers.fit,
        "not_met": answers.not_met,
        "missing_text": answers.missing_text,
        "objections_text": answers.objections_text,
        "evidence_ref": answers.evidence_ref,
        "evidence_message": answers.evidence_message,
        "evidence_permalink": answers.evidence_permalink,
        "journey_stage": answers.journey_stage,
    }


def _validate(answers: FeedbackAnswers) -> None:
    problems = answers.problems()
    if problems:
        raise FeedbackError("; ".join(problems))


def _apply(
    session: Session, feedback: Feedback, answers: FeedbackAnswers, checks: list[AttributeCheck], now: datetime
) -> None:
    for column, value in _answer_columns(answers).items():
        setattr(feedback, column, value)
    feedback.updated_at = now
    # Replace the verdicts wholesale; flush the removals first so (feedback_id, position) stays unique.
    feedback.attribute_checks.clear()
    session.flush()
    feedback.attribute_checks.extend(checks)
    session.flush()


def record_feedback(
    session: Session,
    workspace_id: int,
    answers: FeedbackAnswers,
    *,
    submission_key: str,
    author_id: str,
    author_role: str | None = None,
    source: str,
    round_id: int | None = None,
    replace: bool = False,
    now: datetime | None = None,
) -> tuple[Feedback, bool]:
    """Store `answers` once per (workspace, `submission_key`); returns the record and whether this call created it.

    A second call with the same key returns the stored record untouched, or, with `replace=True` (Edit, or a
    revisable check-in answer keyed by `checkin_submission_key`), overwrites its answers and verdicts. Either way
    the key is claimed by the database's unique constraint, so concurrent calls never store two rows.
    `author_role` overrides `answers.role` when given. Raises `PersonaUnavailable` for a persona that is not
    an active one of this workspace, `NotAuthor` when replacing someone else's record, `FeedbackError` for
    answers that can't be stored.
    """
    if source not in SOURCES:
        raise FeedbackError(f"source must be one of {', '.join(SOURCES)}")
    if author_role is not None and author_role != answers.role:
        answers = dataclasses.replace(answers, role=author_role)
    _validate(answers)
    persona = _persona_for(session, workspace_id, answers)
    checks = _checks(session, persona, answers)  # validate positions before claiming the key
    now = now or utcnow()
    inserted = session.scalar(
        insert_ignore(session, Feedback)
        .values(
            workspace_id=workspace_id,
            submission_key=submission_key,
            author_id=author_id,
            source=source,
            round_id=round_id,
            created_at=now,
            updated_at=now,
            **_answer_columns(answers),
        )
        .returning(Feedback)  # the new record itself; nothing comes back when the key was already taken
    )
    if inserted is not None:
        set_committed_value(inserted, "attribute_checks", [])  # a new record has none yet: nothing to load
        inserted.attribute_checks.extend(checks)
        session.flush()
        return inserted, True
    feedback = _by_key(session, workspace_id, submission_key)
    if replace:
        if feedback.author_id != author_id:
            raise NotAuthor("only the author may change this feedback")
        _apply(session, feedback, answers, checks, now)
    return feedback, False


def _by_key(session: Session, workspace_id: int, submission_key: str) -> Feedback:
    query = (
        select(Feedback)
        .where(Feedback.workspace_id == workspace_id, Feedback.submission_key == submission_key)
        .options(selectinload(Feedback.attribute_checks))
        .execution_options(populate_existing=True)
    )
    return session.scalars(query).one()


def get_feedback(session: Session, workspace_id: int, feedback_id: int) -> Feedback | None:
    """One record of this workspace (None for another workspace's id), with its verdicts loaded."""
    query = (
        select(Feedback)
        .where(Feedback.workspace_id == workspace_id, Feedback.id == feedback_id)
        .options(selectinload(Feedback.attribute_checks))
    )
    return session.scalar(query)


def update_feedback(
    session: Session,
    workspace_id: int,
    feedback_id: int,
    author_id: str,
    answers: FeedbackAnswers,
    *,
    now: datetime | None = None,
) -> Feedback | None:
    """Overwrite the author's own record with `answers` (None when there is no such record any more).

    Raises `NotAuthor` for someone else's record, `PersonaUnavailable`/`FeedbackError` like `record_feedback`.
    Saving the same answers twice is harmless: it is an update, never a second row.
    """
    feedback = get_feedback(session, workspace_id, feedback_id)
    if feedback is None:
        return None
    if feedback.author_id != author_id:
        raise NotAuthor("only the author may change this feedback")
    if is_round_answer(feedback):
        raise RoundAnswer("a check-in answer is changed in its round")
    _validate(answers)
    persona = _persona_for(session, workspace_id, answers)
    _apply(session, feedback, answers, _checks(session, persona, answers), now or utcnow())
    return feedback


def is_round_answer(feedback: Feedback) -> bool:
    """Whether a record is a check-in answer (by its source or its round), whatever path asks to change it."""
    return feedback.source == "checkin" or feedback.round_id is not None


def delete_feedback(session: Session, workspace_id: int, feedback_id: int, author_id: str) -> bool:
    """Delete the author's own record; False when it is already gone. Raises `NotAuthor` for anyone else."""
    feedback = get_feedback(session, workspace_id, feedback_id)
    if feedback is None:
        return False
    if feedback.author_id != author_id:
        raise NotAuthor("only the author may delete this feedback")
    if is_round_answer(feedback):
        # Refused rather than deleted: the rep's participation says "answered" because this record exists.
        raise RoundAnswer("a check-in answer is not deleted on its own")
    session.delete(feedback)
    session.flush()
    return True


def recent_feedback_for_user(
    session: Session, workspace_id: int, author_id: str, *, limit: int = 10, persona_id: int | None = None
) -> list[Feedback]:
    """The author's latest records, newest first (optionally for one persona)."""
    query = (
        select(Feedback)
        .where(Feedback.workspace_id == workspace_id, Feedback.author_id == author_id)
        .options(selectinload(Feedback.attribute_checks))
        .order_by(Feedback.created_at.desc(), Feedback.id.desc())
        .limit(limit)
    )
    if persona_id is not None:
        query = query.where(Feedback.persona_id == persona_id)
    return list(session.scalars(query))
