"""The App Home tab's content for one person: a view model built in one transaction, no Slack calls."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from bot.config import Settings
from bot.services.access import Access
from persona_store.home import (
    DueReview,
    PendingCheckin,
    QuarterFit,
    RecentFeedback,
    due_reviews,
    pending_checkin,
    quarter_fit,
    recent_feedback,
)
from persona_store.models import Persona, PersonaStatus, utcnow
from persona_store.quarters import current_quarter
from persona_store.roster import get_member
from persona_store.workspaces import ensure_workspace


@dataclass(frozen=True)
class HomeView:
    """Everything the Home tab shows; `fit` (the current quarter at a glance) only for managers and admins."""

    user_id: str
    now: datetime
    quarter: str
    is_manager: bool
    active_personas: int
    pending_checkin: PendingCheckin | None
    recent_feedback: tuple[RecentFeedback, ...]
    due_reviews: tuple[DueReview, ...]
    fit: QuarterFit | None = None

    @property
    def is_owner(self) -> bool:
        return bool(self.due_reviews)


class HomeService:
    def __init__(self, sessions: sessionmaker[Session], settings: Settings, access: Access | None = None) -> None:
        self._sessions = sessions
        self._settings = settings
        self._access = access or Access(sessions, settings)

    def build_for(self, team_id: str, user_id: str, now: datetime | None = None) -> HomeView:
        now = now or utcnow()
        quarter = current_quarter(now).label
        admin = self._access.is_admin(team_id, user_id)  # before the transaction: it may ask Slack
        with self._sessions.begin() as s:
            workspace = ensure_workspace(s, team_id)
            member = get_member(s, workspace.id, user_id)
            is_manager = admin or bool(member and member.active and member.is_manager)
            active = s.scalar(
                select(func.count(Persona.id)).where(
                    Persona.workspace_id == workspace.id, Persona.status == PersonaStatus.ACTIVE.value
                )
            )
            return HomeView(
                user_id=user_id,
                now=now,
                quarter=quarter,
                is_manager=is_manager,
                active_personas=int(active or 0),
                pending_checkin=pending_checkin(s, workspace.id, user_id),
                recent_feedback=tuple(recent_feedback(s, workspace.id, user_id)),
                due_reviews=tuple(due_reviews(s, workspace.id, user_id, self._settings.review_after_days, now)),
                fit=quarter_fit(s, workspace.id, now, self._settings.review_after_days) if is_manager else None,
            )
