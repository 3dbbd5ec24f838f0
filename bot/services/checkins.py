"""Quarterly check-ins: the use cases behind `checkin open|remind|close|status`, the clock and the DM buttons.

`CheckinService` is the rounds (`bot.services.rounds`), their summaries (`bot.services.summary`) and, here, what reps
do: open their check-in page, answer it, skip or snooze. The messages go through the outbox (`bot.services.outbox`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from bot.services.lookup import PersonaCard
from bot.services.rounds import RoundInfo, Rounds
from bot.services.summary import Summaries
from persona_store import checkins as store
from persona_store.checkins import RoundClosed
from persona_store.feedback import FeedbackAnswers, FeedbackError, checkin_submission_key, record_feedback
from persona_store.models import CheckinRound, Participation, Persona
from persona_store.personas import list_personas
from persona_store.question_selection import CheckinEstimate, estimate, question_plan
from persona_store.schedule import next_local_morning
from persona_store.workspaces import ensure_workspace

__all__ = ["CheckinPage", "CheckinProgress", "CheckinService", "RoundInfo"]  # RoundInfo: for bot/clock/jobs.py


@dataclass(frozen=True)
class CheckinPage:
    """What the check-in modal needs: the rep's personas, the statements each page asks (`questions`: positions in
    the persona's current revision, chosen once per round by `persona_store.question_selection`), and their earlier
    answers (for revisions). `role` is the rep's role for this round: the one they confirmed on their first page,
    else the roster's."""

    round: RoundInfo
    user_id: str
    role: str
    personas: tuple[PersonaCard, ...]
    previous: dict[int, FeedbackAnswers]
    questions: Mapping[int, tuple[int, ...]] = field(default_factory=dict)
    role_confirmed: bool = False

    def asked(self, persona_id: int) -> tuple[int, ...]:
        return self.questions.get(persona_id, ())

    @property
    def estimate(self) -> CheckinEstimate:
        return estimate(tuple(len(c.goals) + len(c.pain_points) + len(c.objections) for c in self.personas))


@dataclass(frozen=True)
class CheckinProgress:
    """A rep's place in a round after a page: `unanswered` lists the personas still without a stored answer."""

    participation: Participation
    unanswered: tuple[int, ...]

    @property
    def complete(self) -> bool:
        return not self.unanswered


class CheckinService(Rounds, Summaries):
    def _rep(self, s: Session, team_id: str, round_id: int, user_id: str) -> tuple[int, CheckinRound, Participation]:
        workspace = ensure_workspace(s, team_id)
        r = store.get_round(s, workspace.id, round_id)
        p = store.get_participation(s, round_id, user_id) if r is not None else None
        if r is None or p is None:
            raise LookupError("you are not part of this check-in round")
        if r.status != "open":
            raise RoundClosed(f"the {r.quarter} check-in has closed")
        return workspace.id, r, p

    def begin(self, team_id: str, round_id: int, user_id: str) -> CheckinPage:
        """The personas a rep checks, the statements each asks (chosen on the first call and stored) and their
        earlier answers; RoundClosed / LookupError otherwise."""
        with self._sessions.begin() as s:
            workspace_id, r, p = self._rep(s, team_id, round_id, user_id)
            personas = store.personas_for_role(list_personas(s, workspace_id), p.role)
            mine = sorted(
                (f for f in store.round_feedback(s, workspace_id, round_id) if f.author_id == user_id),
                key=lambda f: (f.created_at, f.id),
            )
            previous = {f.persona_id: FeedbackAnswers.from_record(f) for f in mine}
            rules = self._settings.rules_in(s, workspace_id)
            plan = question_plan(s, workspace_id, r, user_id, p.role, personas, now=self._clock(), rules=rules)
            cards = tuple(PersonaCard.from_persona(x) for x in personas)
            # the role is asked once per round: on the first page, from the roster; later pages keep that answer
            role = mine[0].author_role if mine else p.role
            return CheckinPage(RoundInfo.of(r), user_id, role, cards, previous, plan, bool(mine))

    def answer(self, team_id: str, round_id: int, user_id: str, answers: FeedbackAnswers) -> CheckinProgress:
        """Store one persona page (revisable until the round closes). The rep is marked answered once every persona
        they were asked about has a stored answer in this round (computed here, never taken from the client).

        Raises RoundClosed after the close, LookupError for someone not on the round, and the feedback store's
        errors for answers it can't keep (a persona this rep was not asked about among them).
        """
        now = self._clock()
        with self._sessions.begin() as s:
            workspace_id, _, p = self._rep(s, team_id, round_id, user_id)
            asked = store.personas_for_role(list_personas(s, workspace_id), p.role)
            if answers.persona_id not in {x.id for x in asked}:
                raise FeedbackError("that persona is not part of this rep's check-in")
            persona = next(x for x in asked if x.id == answers.persona_id)
            if answers.revision_number == persona.revision_number:
                # only the statements this rep was asked (the stored plan), whatever else the client sent
                rules = self._settings.rules_in(s, workspace_id)
                r = store.get_round(s, workspace_id, round_id)
                assert r is not None  # _rep found it
                plan = question_plan(s, workspace_id, r, user_id, p.role, [persona], now=now, rules=rules)
                allowed = set(plan.get(persona.id, ()))
                answers = dataclasses.replace(
                    answers, verdicts={k: v for k, v in answers.verdicts.items() if k in allowed}
                )
            record_feedback(
                s,
                workspace_id,
                answers,
                submission_key=checkin_submission_key(round_id, answers.persona_id, user_id),
                author_id=user_id,
                source="checkin",
                round_id=round_id,
                replace=True,
                now=now,
            )
            return self._progress(s, workspace_id, round_id, p, asked, now)

    def answer_done(self, team_id: str, round_id: int, user_id: str) -> CheckinProgress:
        """Re-check a rep whose page named no persona they still check (one was retired while they answered):
        answered if, and only if, every persona they are asked about has a stored answer."""
        now = self._clock()
        with self._sessions.begin() as s:
            workspace_id, _, p = self._rep(s, team_id, round_id, user_id)
            asked = store.personas_for_role(list_personas(s, workspace_id), p.role)
            return self._progress(s, workspace_id, round_id, p, asked, now)

    @staticmethod
    def _progress(
        s: Session, workspace_id: int, round_id: int, p: Participation, asked: Sequence[Persona], now: datetime
    ) -> CheckinProgress:
        s.flush()
        missing = store.unanswered_personas(s, workspace_id, round_id, p.slack_user_id, asked)
        if not missing:
            p.answered_at = p.answered_at or now
            p.skipped_at, p.skip_reason, p.snoozed_until = None, None, None
        s.flush()
        s.expunge(p)
        return CheckinProgress(p, tuple(missing))

    def skip(self, team_id: str, round_id: int, user_id: str, reason: str) -> Participation:
        if reason not in store.SKIP_REASONS:
            raise ValueError(f"unknown skip reason {reason!r}")
        now = self._clock()
        with self._sessions.begin() as s:
            _, _, p = self._rep(s, team_id, round_id, user_id)
            if p.answered_at is None:
                p.skipped_at, p.skip_reason, p.snoozed_until = p.skipped_at or now, reason, None
            s.flush()
            s.expunge(p)
            return p

    def snooze(self, team_id: str, round_id: int, user_id: str) -> datetime:
        """ "Remind me tomorrow": the rep's next local business morning."""
        with self._sessions.begin() as s:
            workspace_id, _, p = self._rep(s, team_id, round_id, user_id)
            ws = self._schedule(s, workspace_id)
            p.snoozed_until = next_local_morning(self._clock(), p.timezone, ws.open_hour, ws.quiet_days)
            return p.snoozed_until

    def participation(self, team_id: str, round_id: int, user_id: str) -> Participation | None:
        with self._sessions.begin() as s:
            ensure_workspace(s, team_id)
            p = store.get_participation(s, round_id, user_id)
            if p is not None:
                s.expunge(p)
            return p
