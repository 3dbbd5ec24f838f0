"""Structured feedback from sales, success and onboarding: the use cases behind the feedback modal.

Each method is one transaction and none calls Slack. Listeners turn what these return into Block Kit.
`FeedbackAnswers` (the parsed form, free of Slack types) is defined in `persona_store.feedback` and re-exported
here for callers in `bot/`.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker

from bot.config import Settings
from bot.services.lookup import PersonaCard
from persona_store.db import make_readonly_session_factory
from persona_store.feedback import (
    FeedbackAnswers,
    FeedbackError,
    NotAuthor,
    RoundAnswer,
    delete_feedback,
    get_feedback,
    is_round_answer,
    record_feedback,
    stored_answers,
    update_feedback,
)
from persona_store.models import FEEDBACK_ROLES, VERDICTS, Feedback, Persona
from persona_store.personas import get_persona, list_personas
from persona_store.roster import get_member
from persona_store.search import search_personas
from persona_store.workspace_settings import load_settings
from persona_store.workspaces import ensure_workspace, find_workspace

__all__ = ["FeedbackForm", "FeedbackReceipt", "FeedbackService", "PersonaChoice"]

FORM_KEY_MAX = 64  # the modal's key (a UUID); the stored key adds the source and the author's id


@dataclass(frozen=True)
class PersonaChoice:
    """One entry of the modal's persona select."""

    id: int
    name: str


@dataclass(frozen=True)
class FeedbackForm:
    """What a feedback modal needs: the personas to choose from, the chosen one, the person's role.

    `persona` is None when nobody chose yet; `query_missed` holds words that matched no persona;
    `feedback_id` and `prefill` are set when the author edits an earlier answer.
    """

    personas: tuple[PersonaChoice, ...]
    persona: PersonaCard | None
    role: str | None
    anonymous: bool
    prefill: FeedbackAnswers | None = None
    feedback_id: int | None = None
    query_missed: str | None = None


@dataclass(frozen=True)
class FeedbackReceipt:
    """What was stored, for the private confirmation (and for knowing whether this submission was the first)."""

    id: int
    persona_name: str
    created: bool
    updated: bool
    role: str
    fit: int | None
    not_met: bool
    verdict_counts: tuple[tuple[str, int], ...]
    missing_text: str
    objections_text: str
    evidence_ref: str
    evidence_message: str
    evidence_permalink: str
    journey_stage: str | None
    anonymous: bool  # the workspace's anonymity when it was stored: what the confirmation tells the person

    @classmethod
    def of(
        cls, feedback: Feedback, persona_name: str, *, anonymous: bool, created: bool, updated: bool = False
    ) -> FeedbackReceipt:
        counts = Counter(check.verdict for check in feedback.attribute_checks)
        return cls(
            id=feedback.id,
            persona_name=persona_name,
            anonymous=anonymous,
            created=created,
            updated=updated,
            verdict_counts=tuple((v, counts[v]) for v in VERDICTS if counts[v]),
            **stored_answers(feedback),
        )


def submission_key(source: str, user_id: str, form_key: str) -> str:
    """The stored key: the modal's own key, scoped to its author (a forged key can only collide with your own)."""
    if not form_key or len(form_key) > FORM_KEY_MAX:
        raise FeedbackError("the form carries no usable submission key")
    return f"{source}:{user_id}:{form_key}"


class FeedbackService:
    def __init__(self, sessions: sessionmaker[Session], settings: Settings) -> None:
        self._sessions = sessions
        self._reads = make_readonly_session_factory(sessions)  # on SQLite these never queue for the write lock
        self._settings = settings

    def _anonymous(self, s: Session, workspace_id: int) -> bool:
        """The workspace's anonymity (`/persona settings`), else ANONYMOUS_RATINGS."""
        return load_settings(s, workspace_id, self._settings.workspace_defaults()).anonymous

    def _receipt(
        self,
        s: Session,
        workspace_id: int,
        feedback: Feedback,
        *,
        created: bool,
        updated: bool = False,
        persona: Persona | None = None,
    ) -> FeedbackReceipt:
        """What the confirmation says, read in the transaction that stored (or found) the answer."""
        name = persona.name if persona is not None else _persona_name(s, workspace_id, feedback)
        anonymous = self._anonymous(s, workspace_id)
        return FeedbackReceipt.of(feedback, name, anonymous=anonymous, created=created, updated=updated)

    def form(
        self, team_id: str, user_id: str, *, persona_id: int | None = None, query: str | None = None
    ) -> FeedbackForm | None:
        """The form for a new answer; None when `persona_id` names no active persona of this workspace.

        `query` (words after `/persona feedback`) preselects the persona it confidently matches.
        """
        with self._sessions.begin() as s:
            workspace = ensure_workspace(s, team_id)
            personas = list_personas(s, workspace.id)
            chosen: Persona | None = None
            missed: str | None = None
            if persona_id is not None:
                chosen = next((p for p in personas if p.id == persona_id), None)
                if chosen is None:
                    return None
            elif query:
                chosen = search_personas(personas, query).best
                missed = None if chosen else query
            return FeedbackForm(
                personas=tuple(PersonaChoice(p.id, p.name) for p in personas),
                persona=PersonaCard.from_persona(chosen) if chosen else None,
                role=_roster_role(s, workspace.id, user_id),
                anonymous=self._anonymous(s, workspace.id),
                query_missed=missed,
            )

    def edit_form(self, team_id: str, user_id: str, feedback_id: int) -> FeedbackForm | None:
        """The form pre-filled with the author's earlier answer; None when it is gone (or its persona is).

        Raises `NotAuthor` for anyone but the author, `RoundAnswer` for a check-in answer (changed in its round).
        """
        with self._sessions.begin() as s:
            workspace = ensure_workspace(s, team_id)
            feedback = get_feedback(s, workspace.id, feedback_id)
            if feedback is None:
                return None
            if feedback.author_id != user_id:
                raise NotAuthor("only the author may change this feedback")
            if is_round_answer(feedback):
                raise RoundAnswer("a check-in answer is changed in its round")
            persona = get_persona(s, workspace.id, feedback.persona_id)
            if persona is None or not persona.active:
                return None
            return FeedbackForm(
                personas=tuple(PersonaChoice(p.id, p.name) for p in list_personas(s, workspace.id)),
                persona=PersonaCard.from_persona(persona),
                role=feedback.author_role,
                anonymous=self._anonymous(s, workspace.id),
                prefill=FeedbackAnswers.from_record(feedback),
                feedback_id=feedback.id,
            )

    def persona(self, team_id: str, persona_id: int) -> PersonaCard | None:
        """An active persona of this workspace, or None."""
        with self._reads.begin() as s:
            workspace = find_workspace(s, team_id)
            persona = get_persona(s, workspace.id, persona_id) if workspace is not None else None
            return PersonaCard.from_persona(persona) if persona is not None and persona.active else None

    def record(
        self, team_id: str, user_id: str, answers: FeedbackAnswers, *, form_key: str, source: str
    ) -> FeedbackReceipt:
        """Store a new answer once per form; a repeated submission of the same form returns `created=False`."""
        key = submission_key(source, user_id, form_key)
        with self._sessions.begin() as s:
            workspace = ensure_workspace(s, team_id)
            persona = get_persona(s, workspace.id, answers.persona_id)  # read once: the record checks this one
            feedback, created = record_feedback(
                s, workspace.id, answers, submission_key=key, author_id=user_id, source=source
            )
            return self._receipt(s, workspace.id, feedback, created=created, persona=persona)

    def update(self, team_id: str, user_id: str, feedback_id: int, answers: FeedbackAnswers) -> FeedbackReceipt | None:
        """Overwrite the author's own answer (Edit); None when it was deleted meanwhile. Raises `NotAuthor`."""
        with self._sessions.begin() as s:
            workspace = ensure_workspace(s, team_id)
            stored = get_feedback(s, workspace.id, feedback_id)
            if (
                stored is not None
                and stored.author_id == user_id
                and not is_round_answer(stored)
                and FeedbackAnswers.from_record(stored) == answers
            ):  # the same answers again (a double click on Save): nothing changes, and nothing is said twice
                return self._receipt(s, workspace.id, stored, created=False, updated=False)
            feedback = update_feedback(s, workspace.id, feedback_id, user_id, answers)
            if feedback is None:
                return None
            return self._receipt(s, workspace.id, feedback, created=False, updated=True)

    def delete(self, team_id: str, user_id: str, feedback_id: int) -> str | None:
        """Delete the author's own answer; returns the persona's name, or None when it was already gone.

        Raises `NotAuthor` for anyone but the author, `RoundAnswer` for a check-in answer (never deleted alone, so
        the rep's participation stays true).
        """
        with self._sessions.begin() as s:
            workspace = ensure_workspace(s, team_id)
            feedback = get_feedback(s, workspace.id, feedback_id)
            if feedback is None:
                return None
            name = _persona_name(s, workspace.id, feedback)
            return name if delete_feedback(s, workspace.id, feedback_id, user_id) else None


def _roster_role(session: Session, workspace_id: int, user_id: str) -> str | None:
    member = get_member(session, workspace_id, user_id)
    return member.role if member is not None and member.role in FEEDBACK_ROLES else None


def _persona_name(session: Session, workspace_id: int, feedback: Feedback) -> str:
    persona = get_persona(session, workspace_id, feedback.persona_id)
    return persona.name if persona is not None else "a persona"
