"""A round's status and its close summary: the evidence model's response rate and each persona's evidence."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy.orm import Session

from bot.services.outbox import Outgoing
from bot.services.rounds import CheckinBase, RoundInfo
from persona_store import checkins as store
from persona_store.evidence import PersonaEvidence, ResponseRate, load_evidence, participation
from persona_store.models import CheckinRound
from persona_store.quarters import Period, parse_quarter
from persona_store.roster import list_roster
from persona_store.workspaces import ensure_workspace


@dataclass(frozen=True)
class RoundStatus:
    """Who was asked in the round and how they answered: the evidence model's response rate, per role and in total."""

    round: RoundInfo
    counts: Mapping[str, ResponseRate]
    total: ResponseRate
    unreachable: tuple[tuple[str, str], ...]  # (user id, reason)


@dataclass(frozen=True)
class RoundSummary:
    """The round-close summary: the response rate and each active persona's evidence for the round's quarter
    (every answer of the quarter counts, check-in or ad hoc: each person's latest, once)."""

    status: RoundStatus
    personas: tuple[PersonaEvidence, ...]
    min_group: int = 1


class Summaries(CheckinBase):
    def status(self, team_id: str, quarter: str | None = None) -> RoundStatus | None:
        with self._sessions.begin() as s:
            workspace = ensure_workspace(s, team_id)
            r = (
                store.round_for_quarter(s, workspace.id, quarter)
                if quarter
                else store.latest_open_round(s, workspace.id) or store.latest_round(s, workspace.id)
            )
            return None if r is None else self._status(s, r)

    def _status(self, s: Session, r: CheckinRound) -> RoundStatus:
        unreachable = tuple(
            (p.slack_user_id, p.unreachable_reason or "unreachable")
            for p in store.participations(s, r.id)
            if p.unreachable_at is not None and p.answered_at is None and p.skipped_at is None
        )
        rates = participation(s, r.workspace_id, _round_period(r))
        return RoundStatus(RoundInfo.of(r), rates.by_role, rates.total, unreachable)

    def summary(self, team_id: str, round_id: int) -> RoundSummary | None:
        with self._sessions.begin() as s:
            workspace = ensure_workspace(s, team_id)
            r = store.get_round(s, workspace.id, round_id)
            if r is None:
                return None
            rules = self._settings.rules_in(s, workspace.id)
            data = load_evidence(s, workspace.id, _round_period(r), now=self._clock(), rules=rules)
            return RoundSummary(self._status(s, r), data.active, rules.min_group)

    def summary_targets(self, team_id: str, round_id: int) -> list[Outgoing]:
        """Where the summary goes: the workspace's summary channel (`/persona settings`, default REPORT_CHANNEL), else
        a DM to each manager on the roster."""
        with self._sessions.begin() as s:
            workspace = ensure_workspace(s, team_id)
            r = store.get_round(s, workspace.id, round_id)
            if r is None:
                return []
            channel = self._schedule(s, workspace.id).summary_channel
            managers = [m.slack_user_id for m in list_roster(s, workspace.id) if m.is_manager]
            targets = [channel] if channel else managers
            return [
                Outgoing(store.effect_key(r.id, None, "summary", t), "summary", r.id, r.quarter, r.due_date, t)
                for t in targets
            ]

    def may_see_status(self, team_id: str, user_id: str) -> bool:
        return self._access.is_manager_or_admin(team_id, user_id)


def _round_period(r: CheckinRound) -> Period:
    # a round more often than quarterly (`2026-Q4.02`) counts in its quarter
    return Period.single(parse_quarter(r.quarter[:7]))
