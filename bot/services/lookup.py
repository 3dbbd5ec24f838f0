"""Persona lookups: `/persona <words>`, `/persona list`, and the card behind Share and pick-list buttons."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Engine, event, select
from sqlalchemy.orm import Session, sessionmaker

from persona_store.db import make_readonly_session_factory
from persona_store.evidence import EvidenceRules, PersonaEvidence, load_evidence
from persona_store.models import Persona, Workspace, utcnow
from persona_store.outcomes import DealFigures
from persona_store.personas import CatalogueVersion, catalogue_version, list_personas
from persona_store.quarters import Period, current_quarter
from persona_store.search import SearchResult, search_personas


@dataclass(frozen=True)
class CardOutcome:
    """The one outcome line a card may show (when the workspace's settings allow): the persona's deals that closed
    in the latest quarter with outcome data."""

    period: str
    deals: DealFigures


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
    # The current quarter's figures (fit, verdict, last validated), from the evidence model; None: not loaded.
    figures: PersonaEvidence | None = None
    outcome: CardOutcome | None = None

    @classmethod
    def from_persona(
        cls, persona: Persona, figures: PersonaEvidence | None = None, outcome: CardOutcome | None = None
    ) -> PersonaCard:
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
            figures=figures,
            outcome=outcome,
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


ANSWER_CACHE_SIZE = 512
CATALOGUE_FRESH_SECONDS = 0.25


@dataclass(frozen=True)
class _Catalogue:
    """A workspace's active personas as cards, valid while the catalogue version is unchanged."""

    version: CatalogueVersion
    day: date  # the day the cards' figures are for ("last validated" can say today): a new day reloads them
    personas: list[Persona]  # detached and fully loaded: safe to read from any thread
    cards: dict[int, PersonaCard]
    load: int = 0  # which load of this process made it (`LookupService._loads`): a later load began later
    answers: dict[str, SearchResult] = field(default_factory=dict)  # the same few names are asked all day

    def search(self, query: str) -> SearchResult:
        key = " ".join(query.casefold().split())
        result = self.answers.get(key)
        if result is None:
            result = search_personas(self.personas, query)
            if len(self.answers) < ANSWER_CACHE_SIZE:
                self.answers[key] = result
        return result


class LookupService:
    """Read-only: a workspace with no rows yet simply has no personas (nothing is created by looking).

    Personas change rarely and are read often, so each workspace's active catalogue is cached and a lookup asks
    the database only for the catalogue's version (one small aggregate) before searching in memory, and not even
    that when the version was confirmed within the last `fresh_for` seconds. A commit through this process's
    sessions ends that window at once (an edit in Slack shows on the next lookup); a change made by another process
    shows up within the window (a quarter of a second: far quicker than anyone can type the next command).

    A workspace's catalogue is loaded by one request at a time: the lookups that find it changed meanwhile (a
    burst after a round of saves) wait for that load and use it, rather than each reloading the same cards.
    """

    def __init__(
        self,
        sessions: sessionmaker[Session],
        *,
        fresh_for: float = CATALOGUE_FRESH_SECONDS,
        clock: Callable[[], float] = time.monotonic,
        rules: EvidenceRules | Callable[[Session, int], EvidenceRules] | None = None,
        outcome_lines: Callable[[Session, int], Mapping[int, CardOutcome]] | None = None,
        now: Callable[[], datetime] = utcnow,
    ) -> None:
        self._sessions = make_readonly_session_factory(sessions)
        self._engine: Engine = self._sessions.kw["bind"]
        self._fresh_for = fresh_for
        self._clock = clock
        # fixed rules, or a workspace's own (`Settings.rules_in`: its `/persona settings` over the environment)
        self._rules = rules or EvidenceRules()
        # persona id -> the card's outcome line, for the personas that have one (`OutcomesService.card_lines`)
        self._outcome_lines = outcome_lines
        self._now = now
        self._workspace_ids: dict[str, int] = {}  # a team's row id never changes once created
        self._catalogues: dict[int, _Catalogue] = {}
        self._confirmed_at: dict[int, float] = {}  # when each cached catalogue's version was last confirmed
        self._lock = threading.Lock()
        self._loading: dict[int, threading.Lock] = {}  # held by the one request loading a workspace's catalogue
        self._loads = 0  # loads begun in this process; numbers the catalogues
        event.listen(sessions, "after_commit", self._after_write)

    def _after_write(self, _session: Session) -> None:
        with self._lock:
            self._confirmed_at.clear()

    def _catalogue(self, team_id: str) -> _Catalogue | None:
        now = self._clock()
        wall = self._now()
        workspace_id = self._workspace_ids.get(team_id)
        with self._lock:
            loads_before = self._loads  # a load numbered above this began after this request did
            if workspace_id is not None:
                cached = self._catalogues.get(workspace_id)
                fresh = now - self._confirmed_at.get(workspace_id, float("-inf")) < self._fresh_for
                if cached is not None and fresh and cached.day == wall.date():
                    return cached
        with self._engine.connect() as conn, conn.begin():
            workspace_id = self._workspace_ids.get(team_id)
            if workspace_id is None:
                workspace_id = conn.scalar(select(Workspace.id).where(Workspace.team_id == team_id))
                if workspace_id is None:
                    return None
                self._workspace_ids[team_id] = workspace_id
            version = catalogue_version(conn, workspace_id)
        with self._lock:
            loading = self._loading.setdefault(workspace_id, threading.Lock())
        with loading:  # one load per workspace at a time: the others wait here, then use it
            return self._current(workspace_id, version, now, wall, loads_before) or self._load(
                workspace_id, version, now, wall
            )

    def _current(
        self, workspace_id: int, version: CatalogueVersion, now: float, wall: datetime, loads_before: int
    ) -> _Catalogue | None:
        """The cached catalogue when it has this version, or was loaded after this request began; else None."""
        with self._lock:
            cached = self._catalogues.get(workspace_id)
            if cached is None or cached.day != wall.date():
                return None
            if cached.version == version:
                self._confirmed_at[workspace_id] = now
                return cached
            # Loaded while this request waited, in a transaction that began after it: it holds every change this
            # request could be expected to see (its version may be newer still; the next lookup confirms it).
            return cached if cached.load > loads_before else None

    def _load(self, workspace_id: int, version: CatalogueVersion, now: float, wall: datetime) -> _Catalogue:
        quarter = current_quarter(wall)
        with self._lock:
            self._loads += 1
            load = self._loads
        with self._sessions.begin() as s:
            personas = list_personas(s, workspace_id)
            rules = self._rules(s, workspace_id) if callable(self._rules) else self._rules
            figures = load_evidence(s, workspace_id, Period.single(quarter), now=wall, rules=rules)
            lines = self._outcome_lines(s, workspace_id) if self._outcome_lines is not None else {}
            s.expunge_all()
        # Read in a later transaction than the version: if something changed in between, the next lookup sees a
        # newer version and reloads, so a stale catalogue never outlives one request.
        catalogue = _Catalogue(
            version,
            wall.date(),
            personas,
            {p.id: PersonaCard.from_persona(p, figures.persona(p.id), lines.get(p.id)) for p in personas},
            load,
        )
        with self._lock:
            self._catalogues[workspace_id] = catalogue
            self._confirmed_at[workspace_id] = now
        return catalogue

    def list_active(self, team_id: str) -> list[PersonaCard]:
        catalogue = self._catalogue(team_id)
        return [] if catalogue is None else [catalogue.cards[p.id] for p in catalogue.personas]

    def lookup(self, team_id: str, query: str) -> LookupAnswer:
        catalogue = self._catalogue(team_id)
        if catalogue is None:
            return LookupAnswer(LookupOutcome.NO_MATCH, query)
        result = catalogue.search(query)
        if result.best is not None:
            return LookupAnswer(LookupOutcome.CARD, query, card=catalogue.cards[result.best.id])
        if result.candidates:
            candidates = tuple(catalogue.cards[p.id] for p in result.candidates)
            return LookupAnswer(LookupOutcome.PICK, query, candidates=candidates)
        suggestions = tuple(catalogue.cards[p.id] for p in result.suggestions)
        return LookupAnswer(LookupOutcome.NO_MATCH, query, suggestions=suggestions)

    def card(self, team_id: str, persona_id: int) -> PersonaCard | None:
        """The card for an active persona of this workspace, or None (gone, retired, or another workspace's)."""
        catalogue = self._catalogue(team_id)
        return None if catalogue is None else catalogue.cards.get(persona_id)
