"""The App Home tab's content for one person: a view model built in one transaction, no Slack calls."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from bot.config import Settings
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
from persona_store.roster import RosterHealth, get_member, roster_health
from persona_store.workspace_settings import load_settings
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
    roster: RosterHealth | None = None  # admins only: roster counts and problems

    @property
    def is_owner(self) -> bool:
        return bool(self.due_reviews)


class HomeService:
    def __init__(self, sessions: sessionmaker[Session], settings: Settings) -> None:
        self._sessions = sessions
        self._settings = settings

    def build_for(self, team_id: str, user_id: str, now: datetime | None = None) -> HomeView:
        now = now or utcnow()
        quarter = current_quarter(now).label
        with self._sessions.begin() as s:
            workspace = ensure_workspace(s, team_id)
            member = get_member(s, workspace.id, user_id)
            # the workspace's review interval (`/persona settings`), else REVIEW_AFTER_DAYS
            days = load_settings(s, workspace.id, self._settings.workspace_defaults()).review_after_days
            is_manager = self._settings.is_admin(user_id) or bool(member and member.active and member.is_manager)
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
                due_reviews=tuple(due_reviews(s, workspace.id, user_id, days, now)),
                fit=quarter_fit(s, workspace.id, now, days) if is_manager else None,
                roster=roster_health(s, workspace.id) if self._settings.is_admin(user_id) else None,
            )
