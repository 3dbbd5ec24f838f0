"""Persona lookups: `/persona <words>`, `/persona list`, and the card behind Share and pick-list buttons."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from persona_store.personas import get_persona, list_personas
from persona_store.search import search_personas
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from persona_store.models import Feedback, Persona
from persona_store.workspaces import ensure_workspace


@dataclass(frozen=True)
class PersonaCard:
    """Everything the card shows, detached from the database session."""

    id: int
    key: str
    name: str
    role: str
    summary: str
    goals: tuple[str, ...]
    pain_points: tuple[str, ...]
    motivations: tuple[str, ...]
    objections: tuple[str, ...]
    channels: tuple[str, ...]
    evidence: tuple[str, ...]
    owner: str | None
    status: str
    revision_number: int
    revised_at: datetime
    validated_at: datetime | None

    @classmethod
    def from_persona(cls, persona: Persona, validated_at: datetime | None = None) -> PersonaCard:
        return cls(
            id=persona.id,
            key=persona.key,
            name=persona.name,
            role=persona.role,
            summary=persona.summary,
            goals=tuple(persona.goals),
            pain_points=tuple(persona.pain_points),
            motivations=tuple(persona.motivations),
            objections=tuple(persona.objections),
            channels=tuple(persona.channels),
            evidence=tuple(persona.evidence),
            owner=persona.owner,
            status=persona.status,
            revision_number=persona.revision_number,
            revised_at=persona.revised_at,
            validated_at=validated_at,
        )


class LookupOutcome(StrEnum):
    CARD = "card"
    PICK = "pick"
    NO_MATCH = "no_match"


@dataclass(frozen=True)
class LookupAnswer:
    outcome: LookupOutcome
    query: str
    card: PersonaCard | None = None
    candidates: tuple[PersonaCard, ...] = ()
    suggestions: tuple[PersonaCard, ...] = ()


def _last_validated(session: Session, persona_id: int) -> datetime | None:
    """The latest time someone on the front line rated this persona."""
    return session.scalar(
        select(func.max(Feedback.created_at)).where(Feedback.persona_id == persona_id, Feedback.fit.is_not(None))
    )


class LookupService:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    def list_active(self, team_id: str) -> list[PersonaCard]:
        with self._sessions.begin() as s:
            workspace = ensure_workspace(s, team_id)
            return [PersonaCard.from_persona(p) for p in list_personas(s, workspace.id)]

    def lookup(self, team_id: str, query: str) -> LookupAnswer:
        with self._sessions.begin() as s:
            workspace = ensure_workspace(s, team_id)
            result = search_personas(list_personas(s, workspace.id), query)
            if result.best is not None:
                card = PersonaCard.from_persona(result.best, _last_validated(s, result.best.id))
                return LookupAnswer(LookupOutcome.CARD, query, card=card)
            if result.candidates:
                candidates = tuple(PersonaCard.from_persona(p) for p in result.candidates)
                return LookupAnswer(LookupOutcome.PICK, query, candidates=candidates)
            suggestions = tuple(PersonaCard.from_persona(p) for p in result.suggestions)
            return LookupAnswer(LookupOutcome.NO_MATCH, query, suggestions=suggestions)

    def card(self, team_id: str, persona_id: int) -> PersonaCard | None:
        """The card for an active persona of this workspace, or None (gone, retired, or another workspace's)."""
        with self._sessions.begin() as s:
            workspace = ensure_workspace(s, team_id)
            persona = get_persona(s, workspace.id, persona_id)
            if persona is None or not persona.active:
                return None
            return PersonaCard.from_persona(persona, _last_validated(s, persona.id))
