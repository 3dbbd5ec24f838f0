"""Learnt Slack paces that outlive the process (`bot.slack.pacing.PaceMemory` on the database): one transaction each."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from persona_store.models import utcnow
from persona_store.paces import recall_pace, remember_pace
from persona_store.workspaces import ensure_workspace

PACE_MEMORY = timedelta(days=7)  # an older pace may no longer hold: the sender finds it afresh


class PaceService:
    def __init__(self, sessions: sessionmaker[Session], clock: Callable[[], datetime] = utcnow) -> None:
        self._sessions = sessions
        self._clock = clock

    def recall(self, team_id: str, method: str) -> float | None:
        with self._sessions.begin() as s:
            return recall_pace(s, ensure_workspace(s, team_id).id, method, self._clock() - PACE_MEMORY)

    def remember(self, team_id: str, method: str, per_second: float) -> None:
        with self._sessions.begin() as s:
            remember_pace(s, ensure_workspace(s, team_id).id, method, per_second, self._clock())


__all__ = ["PACE_MEMORY", "PaceService"]
