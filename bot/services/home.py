"""The App Home tab's content for one person: a view model built in one transaction, no Slack calls.

Every figure on it (fit, verdicts, response rate, review due, last validated) is the evidence model's
(`persona_store.evidence`) for the current quarter, the same as on the card, in the summary and in the workbook.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime

from sqlalchemy import func, select

from bot.services.access import Service
from bot.services.outcomes import OutcomesService
from persona_store.evidence import VERDICT_ORDER, Evidence, PersonaEvidence, ResponseRate, Verdict, load_evidence
from persona_store.home import PendingCheckin, RecentFeedback, pending_checkin, recent_feedback
from persona_store.models import Persona, PersonaStatus, utcnow
from persona_store.quarters import Period, current_quarter
from persona_store.revision_drafts import RevisionDraft, drafts_for
from persona_store.roster import RosterHealth, get_member, roster_health
from persona_store.signals import Signal
from persona_store.workspaces import ensure_workspace

# Which verdicts a manager should look at first.
ATTENTION_ORDER = {
    Verdict.NEEDS_REVIEW: 0,
    Verdict.CONTESTED: 1,
    Verdict.NOT_ENOUGH_DATA: 2,
    Verdict.VALIDATED: 3,
}


@dataclass(frozen=True)
class HomeView:
    """Everything the Home tab shows. `evidence` is loaded for managers, admins and persona owners only;
    `owned` are the active personas this person owns."""

    user_id: str
    now: datetime
    quarter: str
    is_manager: bool
    active_personas: int
    pending_checkin: PendingCheckin | None
    recent_feedback: tuple[RecentFeedback, ...]
    evidence: Evidence | None = None
    owned: tuple[PersonaEvidence, ...] = field(default_factory=tuple)
    outcome_signals: tuple[Signal, ...] = ()  # on the personas this person owns (bot.services.outcomes)
    outcome_period: str = ""
    roster: RosterHealth | None = None  # admins only: roster counts and problems
    revision_drafts: tuple[
        RevisionDraft, ...
    ] = ()  # owners: what the evidence proposes (persona_store.revision_drafts)

    @property
    def is_owner(self) -> bool:
        return bool(self.owned)

    @property
    def due_reviews(self) -> tuple[PersonaEvidence, ...]:
        """The owner's personas whose review is due (RULE_REVIEW_DUE), longest unreviewed first."""
        return tuple(sorted((p for p in self.owned if p.review_due), key=lambda p: (p.last_reviewed_at, p.name)))

    @property
    def min_group(self) -> int:
        return self.evidence.rules.min_group if self.evidence else 1

    @property
    def responses(self) -> ResponseRate | None:
        """The current quarter's response rate (None: nobody was asked)."""
        if self.evidence is None or not self.evidence.participation.asked_anyone:
            return None
        return self.evidence.participation.total

    def needing_attention(self) -> list[PersonaEvidence]:
        """Needs review first, then contested, then too little data, then validated; fewer people first."""
        personas = self.evidence.active if self.evidence else ()
        return sorted(personas, key=lambda p: (ATTENTION_ORDER[p.verdict], p.fit.n, p.name.casefold()))

    def counts(self) -> dict[str, int]:
        totals = {verdict.value: 0 for verdict in VERDICT_ORDER}
        for persona in self.evidence.active if self.evidence else ():
            totals[persona.verdict.value] += 1
        return totals


class HomeService(Service):
    def build_for(self, team_id: str, user_id: str, now: datetime | None = None) -> HomeView:
        now = now or utcnow()
        period = Period.single(current_quarter(now))
        admin = self._access.is_admin(team_id, user_id)  # before the transaction: it may ask Slack
        with self._sessions.begin() as s:
            workspace = ensure_workspace(s, team_id)
            member = get_member(s, workspace.id, user_id)
            is_manager = admin or bool(member and member.active and member.is_manager)
            active = Persona.status == PersonaStatus.ACTIVE.value
            counted = s.execute(
                select(func.count(Persona.id), func.count(Persona.owner).filter(Persona.owner == user_id)).where(
                    Persona.workspace_id == workspace.id, active
                )
            ).one()
            owns = int(counted[1] or 0) > 0
            data = (
                load_evidence(s, workspace.id, period, now=now, rules=self._settings.rules_in(s, workspace.id))
                if is_manager or owns
                else None
            )
            view = HomeView(
                user_id=user_id,
                now=now,
                quarter=period.label,
                is_manager=is_manager,
                active_personas=int(counted[0] or 0),
                pending_checkin=pending_checkin(s, workspace.id, user_id),
                recent_feedback=tuple(recent_feedback(s, workspace.id, user_id)),
                evidence=data,
                owned=tuple(p for p in data.active if p.owner == user_id) if data else (),
                roster=roster_health(s, workspace.id) if admin else None,
            )
            if view.owned:
                view = replace(view, revision_drafts=tuple(drafts_for(s, workspace.id, view.owned)))
        if not owns:
            return view
        outcome_period, signals = OutcomesService(self._sessions, self._settings).owner_signals(team_id, user_id)
        if not signals or outcome_period is None:
            return view
        return replace(view, outcome_signals=tuple(signals), outcome_period=outcome_period.label)
