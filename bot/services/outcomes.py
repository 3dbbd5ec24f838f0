"""Outcomes: importing deal and campaign exports, and the figures and signals beside front-line fit. No Slack calls.

Who sees what: outcome figures are for managers (roster), persona-bot admins and each persona's owner (for that
persona only); imports are for managers and admins. `persona_outcomes` is what `/persona results` plugs into.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.services.access import Service
from bot.services.lookup import CardOutcome
from persona_store import effects, evidence, outcomes
from persona_store.models import Persona, utcnow
from persona_store.outcomes import Columns, ImportReport, Kind, OutcomesData, PersonaOutcomes, RowsRejected
from persona_store.quarters import Period, Quarter, parse_period
from persona_store.roster import is_manager
from persona_store.search import search_personas
from persona_store.signals import FitInput, Signal, find_signals, fit_inputs
from persona_store.workspace_settings import load_settings
from persona_store.workspaces import ensure_workspace

if TYPE_CHECKING:
    from bot.report.outcomes_sheet import OutcomesSheet

__all__ = ["OutcomesService", "OutcomesView", "PersonaResults"]


@dataclass(frozen=True)
class OutcomesView:
    """The period's outcome figures, the fit they sit beside, and the signals where the two disagree."""

    data: OutcomesData
    fits: Mapping[int, FitInput]
    signals: list[Signal]

    @property
    def period(self) -> Period:
        return self.data.period

    def signals_for(self, persona_id: int) -> list[Signal]:
        return [s for s in self.signals if s.persona_id == persona_id]


@dataclass(frozen=True)
class PersonaResults:
    """One persona's outcome figures and signals for a period (typed, for `/persona results`)."""

    period: Period
    previous_period: Period
    outcomes: PersonaOutcomes
    fit: FitInput | None
    signals: list[Signal]
    verdict: evidence.Verdict | None  # the front-line verdict, unchanged by any signal


class OutcomesService(Service):
    # --- who may ---------------------------------------------------------------------------------------------

    def may_import(self, team_id: str, user_id: str) -> bool:
        """Managers on the roster and persona-bot admins."""
        return self._access.is_manager_or_admin(team_id, user_id)

    def may_see(self, team_id: str, user_id: str, persona_id: int | None = None) -> bool:
        """Managers and admins see every persona's outcomes; an owner sees their own persona's."""
        if self._access.is_admin(team_id, user_id):  # before the transaction: it may ask Slack
            return True
        with self._sessions.begin() as s:
            workspace_id = ensure_workspace(s, team_id).id
            if is_manager(s, workspace_id, user_id):
                return True
            if persona_id is None:
                return False
            owner = s.scalar(
                select(Persona.owner).where(Persona.workspace_id == workspace_id, Persona.id == persona_id)
            )
            return owner is not None and owner == user_id

    # --- imports ---------------------------------------------------------------------------------------------

    def claim_file(self, team_id: str, file_id: str) -> bool:
        """True the first time a Slack file is seen for import (Slack retries events; people share twice)."""
        with self._sessions.begin() as s:
            workspace_id = ensure_workspace(s, team_id).id
            return effects.record(s, workspace_id, f"outcomes-file:{file_id}"[:200], utcnow())

    def import_file(
        self,
        team_id: str,
        source: Path | bytes,
        *,
        kind: Kind | None = "deals",
        preset: str | None = None,
        mapping: Mapping[str, str] | None = None,
        skip_bad: bool = False,
    ) -> ImportReport:
        """Import one export in one transaction: all of it, or (with bad rows and no skip_bad) none of it.

        FileError (one line) when the file can't be used at all: not CSV, no deal id or persona column, a bad map.
        `kind` None: told from the header (campaign results name a campaign and what was sent).
        """
        header, rows = outcomes.open_csv(source)
        try:
            if kind is None:
                kind = outcomes.guess_kind(header)
            columns: Columns = outcomes.resolve_columns(header, kind, preset, mapping)
            importer = outcomes.import_deals if kind == "deals" else outcomes.import_campaigns
            with self._sessions.begin() as s:
                workspace_id = ensure_workspace(s, team_id).id
                return importer(s, workspace_id, rows, columns, skip_bad=skip_bad)
        except RowsRejected as rejected:
            return rejected.report
        finally:
            rows.close()

    # --- figures and signals ---------------------------------------------------------------------------------

    def resolve_period(self, team_id: str, period: str | Period | Quarter | None = None) -> Period:
        """A typed quarter or range (QuarterError when unreadable), else the latest quarter a deal closed in."""
        if isinstance(period, Period):
            return period
        if isinstance(period, Quarter):
            return Period.single(period)
        if period and period.strip():
            return parse_period(period)
        with self._sessions.begin() as s:
            workspace_id = ensure_workspace(s, team_id).id
            found = outcomes.latest_outcome_period(s, workspace_id)
            return found or evidence.latest_period(s, workspace_id)

    def _view(self, s: Session, workspace_id: int, period: Period, now: datetime) -> OutcomesView:
        data = outcomes.load_outcomes(s, workspace_id, period)
        if data.empty:
            return OutcomesView(data, {}, [])
        report = evidence.load_evidence(
            s, workspace_id, period, now=now, rules=self._settings.rules_in(s, workspace_id)
        )
        fits = fit_inputs(report.personas)
        return OutcomesView(data, fits, find_signals(fits, data))

    def load(self, team_id: str, period: str | Period | Quarter | None = None) -> OutcomesView:
        """Every persona's outcome figures and the period's signals (for managers' surfaces: check may_see)."""
        resolved = self.resolve_period(team_id, period)
        with self._sessions.begin() as s:
            return self._view(s, ensure_workspace(s, team_id).id, resolved, utcnow())

    def load_for_workspace(self, workspace_id: int, period: Period, now: datetime | None = None) -> OutcomesView:
        with self._sessions.begin() as s:
            return self._view(s, workspace_id, period, now or utcnow())

    def sheet(
        self, workspace_id: int, period: Period, report: evidence.Evidence, now: datetime | None = None
    ) -> OutcomesSheet | None:
        """The workbook's Outcomes sheet for a built report (None when no outcomes were ever imported)."""
        with self._sessions.begin() as s:
            data = outcomes.load_outcomes(s, workspace_id, period)
        if data.empty:
            return None
        # Not at the top: openpyxl costs 0.4 s to import, which every process start (the clock, each CLI command)
        # would pay; only a workbook build needs it (bench/crash_resume.py).
        from bot.report.outcomes_sheet import build_outcomes_sheet

        fits = fit_inputs(report.personas)
        return build_outcomes_sheet(data, fits, find_signals(fits, data), report)

    def persona_outcomes(
        self, team_id: str, persona: str | int, period: str | Period | Quarter | None = None
    ) -> PersonaResults | None:
        """One persona's figures and signals (by id, key, name or words; None when nothing matches)."""
        resolved = self.resolve_period(team_id, period)
        now = utcnow()
        with self._sessions.begin() as s:
            workspace_id = ensure_workspace(s, team_id).id
            persona_id = _find_persona(s, workspace_id, persona)
            if persona_id is None:
                return None
            data = outcomes.load_outcomes(s, workspace_id, resolved)
            report = evidence.load_evidence(
                s, workspace_id, resolved, now=now, rules=self._settings.rules_in(s, workspace_id)
            )
        fits = fit_inputs(report.personas)
        figures = data.for_persona(persona_id)
        if figures is None:
            return None
        verdict = next((p.verdict for p in report.personas if p.persona_id == persona_id), None)
        signals = [sig for sig in find_signals(fits, data) if sig.persona_id == persona_id]
        return PersonaResults(resolved, data.previous_period, figures, fits.get(persona_id), signals, verdict)

    def owner_signals(
        self, team_id: str, user_id: str, period: Period | None = None
    ) -> tuple[Period | None, list[Signal]]:
        """Signals on the personas `user_id` owns (for the owner's part of Home); cheap when nothing was imported."""
        with self._sessions.begin() as s:
            workspace_id = ensure_workspace(s, team_id).id
            owned = set(
                s.scalars(select(Persona.id).where(Persona.workspace_id == workspace_id, Persona.owner == user_id))
            )
            resolved = period or outcomes.latest_outcome_period(s, workspace_id)
        if resolved is None or not owned:
            return resolved, []
        view = self.load_for_workspace(workspace_id, resolved)
        return resolved, [sig for sig in view.signals if sig.persona_id in owned]

    def review_signals(
        self, workspace_id: int, persona_ids: Sequence[int]
    ) -> tuple[str, dict[int, list[Signal]]] | None:
        """(period, persona id -> signals) for review digests, in the latest quarter a deal closed (None: no data)."""
        with self._sessions.begin() as s:
            period = outcomes.latest_outcome_period(s, workspace_id)
        if period is None:
            return None
        view = self.load_for_workspace(workspace_id, period)
        return period.label, {pid: view.signals_for(pid) for pid in persona_ids}

    def card_lines(self, session: Session, workspace_id: int) -> dict[int, CardOutcome]:
        """persona id -> the card's outcome line (deals closed in the latest quarter with outcome data), for the
        personas that have closed deals there; empty unless the workspace's `/persona settings` allow it (default:
        OUTCOMES_ON_CARD). Read inside the lookup's own read-only transaction, when it loads its catalogue."""
        if not load_settings(session, workspace_id, self._settings.workspace_defaults()).outcomes_on_card:
            return {}
        period = outcomes.latest_outcome_period(session, workspace_id)
        if period is None:
            return {}
        closed = outcomes.closed_deals(session, workspace_id, period.labels)
        return {pid: CardOutcome(period.label, deals) for pid, deals in closed.items() if deals.closed}


def _find_persona(s: Session, workspace_id: int, persona: str | int) -> int | None:
    if isinstance(persona, int):
        return s.scalar(select(Persona.id).where(Persona.workspace_id == workspace_id, Persona.id == persona))
    candidates = list(s.scalars(select(Persona).where(Persona.workspace_id == workspace_id)))
    result = search_personas(candidates, persona)
    return result.best.id if result.best is not None else None
