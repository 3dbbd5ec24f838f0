"""`/persona results [persona] [quarter]`: one persona's results, or every persona worst first. No Slack calls.

Who may: managers on the roster and admins see every persona; a persona's owner sees the personas they own (and,
without a persona, the list of those). Everyone else is refused. Every figure is the evidence model's
(`persona_store.evidence`); "what's missing" themes are `persona_store.themes`'; outcome figures and signals are
`bot.services.outcomes`' (shown to the same people, who are exactly the ones outcome figures are for).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.config import Settings
from bot.report.charts import PersonaFit, RoleFit
from bot.services.access import Access
from bot.services.outcomes import OutcomesService
from bot.services.reviews import ReviewAnswer, ReviewService, ReviewStatus
from persona_store import evidence
from persona_store.evidence import PersonaEvidence, StatementCoverage, worst_first
from persona_store.models import Persona, utcnow
from persona_store.outcomes import PersonaOutcomes
from persona_store.personas import get_persona, list_personas
from persona_store.quarters import Period, QuarterError, parse_period
from persona_store.reviews import review_cycle
from persona_store.roster import is_manager
from persona_store.search import search_personas
from persona_store.signals import Signal
from persona_store.themes import Theme, group_themes, latest_texts
from persona_store.workspaces import ensure_workspace

TOP_DISPUTED = 3
TOP_THEMES = 3
LIST_SHOWN = 40  # a message holds 50 blocks; the list packs several personas per section anyway
MAX_PERSONA_ID = 2**31 - 1  # persona ids are INTEGER columns: PostgreSQL refuses a bigger one in a query

# A trailing word that looks like a quarter or a range ("2026-Q4", "2026q4", "2026-Q3..2026-Q4") is the period.
_PERIOD_WORD = re.compile(r"^\d{4}", re.ASCII)


def chart_fits(personas: Sequence[PersonaEvidence]) -> list[PersonaFit]:
    """The chart's input from the evidence model: a withheld group (minimum group) draws no bar."""
    return [
        PersonaFit(
            p.name,
            p.fit.mean,
            p.fit.n,
            tuple(RoleFit(role, r.fit.mean, r.fit.n) for role, r in p.by_role.items() if r.fit.n),
        )
        for p in personas
    ]


class ResultsStatus(StrEnum):
    PERSONA = "persona"
    LIST = "list"
    NOT_ALLOWED = "not_allowed"
    BAD_QUARTER = "bad_quarter"
    NO_MATCH = "no_match"
    NOTHING = "nothing"  # a readable period with no answers and no round in it
    GONE = "gone"  # a button named a persona that is no longer there (or never was, in this workspace)


@dataclass(frozen=True)
class PersonaResults:
    """One persona's results for a period: the evidence, its themes, its statements' coverage (RULE_COVERAGE), and
    (when imported) its outcomes."""

    persona: PersonaEvidence
    themes: tuple[Theme, ...] = ()
    signals: tuple[Signal, ...] = ()
    outcomes: PersonaOutcomes | None = None
    outcome_period: str = ""
    coverage: tuple[StatementCoverage, ...] = ()

    @property
    def disputed(self) -> tuple[evidence.StatementAgreement, ...]:
        return self.persona.disputed[:TOP_DISPUTED]


@dataclass(frozen=True)
class ResultsAnswer:
    status: ResultsStatus
    query: str = ""
    period: Period | None = None
    result: PersonaResults | None = None
    personas: tuple[PersonaEvidence, ...] = ()  # the list, worst first
    suggestions: tuple[str, ...] = ()  # persona names, when nothing matched
    reason: str = ""  # why a quarter could not be read
    latest: str | None = None  # for an empty period: the latest quarter on record
    min_group: int = 1
    everyone: bool = False  # a manager's or admin's list (else the owner's own personas)
    chart: tuple[PersonaFit, ...] = field(default_factory=tuple)

    @property
    def period_label(self) -> str:
        return self.period.label if self.period else ""


def split_args(text: str) -> tuple[str, str | None]:
    """(persona words, period text or None): the period is the last word when it starts with a year."""
    words = text.split()
    if words and _PERIOD_WORD.match(words[-1]):
        return " ".join(words[:-1]), words[-1]
    return " ".join(words), None


class ResultsService:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        settings: Settings,
        access: Access,
        outcomes: OutcomesService,
        reviews: ReviewService,
    ) -> None:
        self._sessions = sessions
        self._settings = settings
        self._access = access
        self._outcomes = outcomes
        self._reviews = reviews

    def results(
        self, team_id: str, user_id: str, text: str, now: datetime | None = None, *, persona_id: int | None = None
    ) -> ResultsAnswer:
        """The answer to `/persona results <text>` (or to a Results button naming `persona_id`); access is decided
        here, from the server's records."""
        now = now or utcnow()
        query, period_text = split_args(text)
        admin = self._access.is_admin(team_id, user_id)  # before the transaction: it may ask Slack
        with self._sessions.begin() as s:
            workspace_id = ensure_workspace(s, team_id).id
            everyone = admin or is_manager(s, workspace_id, user_id)
            personas = list_personas(s, workspace_id)
            owned = {p.id for p in personas if p.owner == user_id}
            if not everyone and not owned:
                return ResultsAnswer(ResultsStatus.NOT_ALLOWED, query)
            try:
                period = parse_period(period_text) if period_text else evidence.latest_period(s, workspace_id, now)
            except QuarterError as error:
                return ResultsAnswer(ResultsStatus.BAD_QUARTER, query, reason=str(error))
            rules = self._settings.rules_in(s, workspace_id)
            target: int | None = None
            if persona_id is not None:
                if persona_id not in {p.id for p in personas}:
                    return ResultsAnswer(ResultsStatus.GONE)
                if not everyone and persona_id not in owned:
                    return ResultsAnswer(ResultsStatus.NOT_ALLOWED)
                target = persona_id
            elif query:
                found = search_personas(personas, query)
                if found.best is None:
                    names = tuple(p.name for p in (found.candidates or found.suggestions))
                    return ResultsAnswer(ResultsStatus.NO_MATCH, query, period, suggestions=names[:5])
                if not everyone and found.best.id not in owned:
                    return ResultsAnswer(ResultsStatus.NOT_ALLOWED, query)
                target = found.best.id
            record = evidence.quarters_on_record(s, workspace_id)
            if not set(period.quarters) & set(record):
                latest = record[-1].label if record else None
                return ResultsAnswer(ResultsStatus.NOTHING, query, period, latest=latest, min_group=rules.min_group)
            data = evidence.load_evidence(s, workspace_id, period, now=now, rules=rules, persona_id=target)
            themes = self._themes(s, workspace_id, period, target) if target is not None else ()
            coverage = (
                evidence.statement_coverage(
                    s, workspace_id, period, now=now, rules=rules, persona_id=target, evidence=data
                )  # the counts of the evidence just loaded, not a second load
                if target is not None
                else ()
            )
        if target is None:
            shown = sorted((p for p in data.personas if everyone or p.persona_id in owned), key=worst_first)
            return ResultsAnswer(
                ResultsStatus.LIST,
                query,
                period,
                personas=tuple(shown),
                min_group=rules.min_group,
                everyone=everyone,
                chart=tuple(chart_fits(shown)),
            )
        found_persona = data.persona(target)
        if found_persona is None:  # retired with no views in the period
            return ResultsAnswer(ResultsStatus.NOTHING, query, period, latest=period.label, min_group=rules.min_group)
        result = self._with_outcomes(workspace_id, period, PersonaResults(found_persona, themes, coverage=coverage))
        return ResultsAnswer(
            ResultsStatus.PERSONA,
            query,
            period,
            result=result,
            min_group=rules.min_group,
            everyone=everyone,
            chart=tuple(chart_fits([found_persona])),
        )

    def _themes(self, s: Session, workspace_id: int, period: Period, persona_id: int) -> tuple[Theme, ...]:
        texts = latest_texts(s, workspace_id, period, "missing", persona_id).get(persona_id, [])
        return tuple(group_themes(texts))[:TOP_THEMES]

    def _with_outcomes(self, workspace_id: int, period: Period, result: PersonaResults) -> PersonaResults:
        view = self._outcomes.load_for_workspace(workspace_id, period)
        figures = view.data.for_persona(result.persona.persona_id)
        if figures is None or not figures.has_data:
            return result
        signals = tuple(view.signals_for(result.persona.persona_id))
        return replace(result, signals=signals, outcomes=figures, outcome_period=period.label)

    # --- the buttons -------------------------------------------------------------------------------------------

    def persona_key(self, team_id: str, persona_id: int) -> str | None:
        """A persona's key in this workspace (for History), or None."""
        if persona_id > MAX_PERSONA_ID:
            return None
        with self._sessions.begin() as s:
            workspace_id = ensure_workspace(s, team_id).id
            return s.scalar(select(Persona.key).where(Persona.workspace_id == workspace_id, Persona.id == persona_id))

    def still_accurate(self, team_id: str, user_id: str, persona_id: int, now: datetime | None = None) -> ReviewAnswer:
        """Home's Still accurate: the review's own answer for the persona's current cycle, as the server reads it."""
        if persona_id > MAX_PERSONA_ID:
            return ReviewAnswer(ReviewStatus.GONE)
        with self._sessions.begin() as s:
            persona = get_persona(s, ensure_workspace(s, team_id).id, persona_id)
            cycle = review_cycle(persona) if persona is not None else None
        if cycle is None:
            return ReviewAnswer(ReviewStatus.GONE)
        return self._reviews.record_outcome(team_id, user_id, persona_id, cycle, "accurate", now=now)


__all__ = ["PersonaResults", "ResultsAnswer", "ResultsService", "ResultsStatus", "chart_fits", "split_args"]
