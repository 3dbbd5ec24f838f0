"""Remembered Slack paces (queries never commit): the last rate a workspace's Slack allowed per Web API method."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from persona_store.db import insert_ignore
from persona_store.models import SlackPace

__all__ = ["recall_pace", "remember_pace"]


def recall_pace(session: Session, workspace_id: int, method: str, since: datetime) -> float | None:
    """The remembered pace for `method`, if it was learnt after `since` (older ones may no longer hold)."""
    return session.scalar(
        select(SlackPace.per_second).where(
            SlackPace.workspace_id == workspace_id, SlackPace.method == method, SlackPace.updated_at >= since
        )
    )


def remember_pace(session: Session, workspace_id: int, method: str, per_second: float, now: datetime) -> None:
    values = {"workspace_id": workspace_id, "method": method, "per_second": per_second, "updated_at": now}
    session.execute(insert_ignore(session, SlackPace.__table__).values(**values))
    session.execute(
        update(SlackPace)
        .where(SlackPace.workspace_id == workspace_id, SlackPace.method == method)
        .values(per_second=per_second, updated_at=now)
        .execution_options(synchronize_session=False)
    )
