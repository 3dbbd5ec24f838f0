"""Six-monthly persona reviews: which owners to ask, and what their answers do (requests go through the outbox)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import ClassVar

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.config import Settings
from bot.services.access import Service
from bot.services.outcomes import OutcomesService
from bot.services.personas_admin import ReviewMessage, may_edit
from persona_store.evidence import last_reviewed, persona_evidence
from persona_store.models import PersonaReview, PersonaStatus, utcnow
from persona_store.personas import get_persona, record_review, set_status
from persona_store.quarters import Period, quarter_of
from persona_store.reviews import (
    OverdueReview,
    ReviewDigest,
    due_for_review,
    overdue_reviews,
    recorded_review_message,
    review_cycle,
    review_digest,
    review_key,
)
from persona_store.revision_drafts import DISMISSED, RevisionDraft, drafts_for, find_draft, record_decision
from persona_store.signals import Signal
from persona_store.workspace_settings import load_settings
from persona_store.workspaces import ensure_workspace

RETIRE_NOTE = "Retired in the six-monthly review"


@dataclass(frozen=True)
class ReviewRequest:
    """One owner's review DM, detached from the session."""

    persona_id: int
    name: str
    role: str
    owner: str
    cycle: int
    key: str
    reviewed_at: datetime
    digest: ReviewDigest
    signals: tuple[Signal, ...] = ()  # outcome signals on this persona, beside the digest (bot.services.outcomes)
    signals_period: str = ""
    drafts: tuple[RevisionDraft, ...] = ()  # revisions the evidence proposes (RULE_DISPUTED), not answered yet
    kind: ClassVar[str] = "review"  # in the outbox (`bot.services.outbox`)


class ReviewStatus(StrEnum):
    RECORDED = "recorded"
    NOT_ALLOWED = "not_allowed"
    ALREADY = "already"  # this cycle was already answered (a double click, or another admin)
    GONE = "gone"


@dataclass(frozen=True)
class ReviewAnswer:
    status: ReviewStatus
    outcome: str = ""
    persona_name: str = ""
    reviewer: str | None = None
    reviewed_at: datetime | None = None
    message: ReviewMessage | None = None  # set only for someone entitled to answer: the DM to rebuild


def with_signals(
    sessions: sessionmaker[Session], settings: Settings, workspace_id: int, requests: list[ReviewRequest]
) -> list[ReviewRequest]:
    """The requests with the outcome signals on their personas (loaded once for all of them)."""
    if not requests:
        return requests
    found = OutcomesService(sessions, settings).review_signals(workspace_id, [r.persona_id for r in requests])
    if found is None:
        return requests
    period, signals = found
    return [
        dataclasses.replace(r, signals=tuple(signals.get(r.persona_id, ())), signals_period=period) for r in requests
    ]


class DraftStatus(StrEnum):
    OPEN = "open"  # the draft stands: Accept may open the edit form
    DISMISSED = "dismissed"  # recorded now
    ALREADY = "already"  # answered before (or the statement was reworded meanwhile)
    NOT_ALLOWED = "not_allowed"
    GONE = "gone"


@dataclass(frozen=True)
class DraftAnswer:
    status: DraftStatus
    draft: RevisionDraft | None = None
    persona_name: str = ""


class ReviewService(Service):
    @property
    def after_days(self) -> int:
        return self._settings.review_after_days

    def interval(self, team_id: str) -> int:
        """The workspace's review interval in days (`/persona settings`), else REVIEW_AFTER_DAYS."""
        with self._sessions.begin() as s:
            return self._days(s, ensure_workspace(s, team_id).id)

    def _days(self, s: Session, workspace_id: int) -> int:
        """The workspace's review interval (`/persona settings`), else REVIEW_AFTER_DAYS."""
        return load_settings(s, workspace_id, self._settings.workspace_defaults()).review_after_days

    def due_reviews(self, team_id: str, now: datetime) -> list[ReviewRequest]:
        """Owners to ask now: overdue active personas whose request for this cycle nobody has claimed."""
        with self._sessions.begin() as s:
            workspace = ensure_workspace(s, team_id)
            requests = []
            for persona in due_for_review(s, workspace.id, now, self._days(s, workspace.id)):
                cycle = review_cycle(persona)
                digest = review_digest(s, workspace.id, persona.id, now, self._settings.rules_in(s, workspace.id))
                drafts = drafts_for(s, workspace.id, [digest.evidence]) if digest.evidence is not None else []
                requests.append(
                    ReviewRequest(
                        persona_id=persona.id,
                        name=persona.name,
                        role=persona.role,
                        owner=persona.owner or "",
                        cycle=cycle,
                        key=review_key(persona.id, cycle),
                        reviewed_at=last_reviewed(persona.reviewed_at, persona.revised_at),
                        digest=digest,
                        drafts=tuple(drafts),
                    )
                )
            workspace_id = workspace.id
        return with_signals(self._sessions, self._settings, workspace_id, requests)

    def record_outcome(
        self, team_id: str, user_id: str, persona_id: int, cycle: int, outcome: str, now: datetime | None = None
    ) -> ReviewAnswer:
        """ "Still accurate" or "Retire" from a review DM; a repeated click on the same cycle changes nothing."""
        now = now or utcnow()
        admin = self._access.is_admin(team_id, user_id)  # before the transaction: it may ask Slack
        with self._sessions.begin() as s:
            workspace = ensure_workspace(s, team_id)
            persona = get_persona(s, workspace.id, persona_id)
            if persona is None:
                return ReviewAnswer(ReviewStatus.GONE)
            if not may_edit(user_id, persona, admin=admin):
                return ReviewAnswer(ReviewStatus.NOT_ALLOWED, persona_name=persona.name)
            message = _recorded(s, workspace.id, persona.id, cycle)
            if review_cycle(persona) != cycle:
                latest = s.scalar(
                    select(PersonaReview)
                    .where(PersonaReview.persona_id == persona.id)
                    .order_by(PersonaReview.created_at.desc(), PersonaReview.id.desc())
                    .limit(1)
                )
                return ReviewAnswer(
                    ReviewStatus.ALREADY,
                    outcome=latest.outcome if latest else "",
                    persona_name=persona.name,
                    reviewer=latest.reviewer if latest else None,
                    reviewed_at=persona.reviewed_at,
                    message=message,
                )
            if outcome == "retired" and persona.status != PersonaStatus.RETIRED.value:
                set_status(
                    s, workspace.id, persona.id, PersonaStatus.RETIRED.value, author=user_id, note=RETIRE_NOTE, now=now
                )
            record_review(s, workspace.id, persona.id, user_id, outcome, now=now)
            return ReviewAnswer(ReviewStatus.RECORDED, outcome, persona.name, user_id, now, message)

    # --- revision drafts ------------------------------------------------------------------------------------

    def _draft(
        self, s: Session, workspace_id: int, user_id: str, persona_id: int, key: str, now: datetime, admin: bool
    ) -> DraftAnswer:
        persona = get_persona(s, workspace_id, persona_id)
        if persona is None or not persona.active:
            return DraftAnswer(DraftStatus.GONE)
        if not may_edit(user_id, persona, admin=admin):
            return DraftAnswer(DraftStatus.NOT_ALLOWED, persona_name=persona.name)
        rules = self._settings.rules_in(s, workspace_id)
        found = persona_evidence(s, workspace_id, Period.single(quarter_of(now)), persona.id, now=now, rules=rules)
        draft = find_draft(s, workspace_id, found, key) if found is not None else None
        if draft is None:
            return DraftAnswer(DraftStatus.ALREADY, persona_name=persona.name)
        return DraftAnswer(DraftStatus.OPEN, draft, persona.name)

    def revision_draft(
        self, team_id: str, user_id: str, persona_id: int, key: str, now: datetime | None = None
    ) -> DraftAnswer:
        """The draft a button names, re-derived from the evidence, for its owner (or an admin) only."""
        now = now or utcnow()
        admin = self._access.is_admin(team_id, user_id)  # before the transaction: it may ask Slack
        with self._sessions.begin() as s:
            workspace = ensure_workspace(s, team_id)
            return self._draft(s, workspace.id, user_id, persona_id, key, now, admin)

    def dismiss_draft(
        self, team_id: str, user_id: str, persona_id: int, key: str, now: datetime | None = None
    ) -> DraftAnswer:
        """Dismiss: the owner disagrees with the evidence; recorded once, and not proposed again for this wording."""
        now = now or utcnow()
        admin = self._access.is_admin(team_id, user_id)
        with self._sessions.begin() as s:
            workspace = ensure_workspace(s, team_id)
            found = self._draft(s, workspace.id, user_id, persona_id, key, now, admin)
            if found.status is not DraftStatus.OPEN or found.draft is None:
                return found
            if not record_decision(s, workspace.id, found.draft, DISMISSED, user_id, now):
                return DraftAnswer(DraftStatus.ALREADY, found.draft, found.persona_name)
            return DraftAnswer(DraftStatus.DISMISSED, found.draft, found.persona_name)

    def overdue(self, team_id: str, now: datetime) -> list[OverdueReview]:
        """Every active persona past its review date, most overdue first (for admins and the App Home)."""
        with self._sessions.begin() as s:
            workspace = ensure_workspace(s, team_id)
            return overdue_reviews(s, workspace.id, now, self._days(s, workspace.id))

    def overdue_for_admins(self, team_id: str, user_id: str, now: datetime) -> list[OverdueReview] | None:
        """The overdue list, or None when `user_id` is not an admin."""
        if not self._access.is_admin(team_id, user_id):
            return None
        return self.overdue(team_id, now)


def _recorded(s: Session, workspace_id: int, persona_id: int, cycle: int) -> ReviewMessage | None:
    found = recorded_review_message(s, workspace_id, persona_id, cycle)
    return ReviewMessage(*found) if found is not None else None


__all__ = ["DraftAnswer", "DraftStatus", "ReviewAnswer", "ReviewRequest", "ReviewService", "ReviewStatus"]
