"""Learnt paces outlive the process: remembered per workspace and method in the database, forgotten after a week."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from bot.services.paces import PaceService


def test_paces_are_remembered_per_workspace_and_method_and_go_stale(sessions: sessionmaker[Session]) -> None:
    now = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
    paces = PaceService(sessions, clock=lambda: now)
    assert paces.recall("T1", "chat.postMessage") is None
    paces.remember("T1", "chat.postMessage", 48.5)
    paces.remember("T1", "chat.postMessage", 47.0)  # the latest estimate wins
    paces.remember("T2", "chat.postMessage", 9.5)
    assert paces.recall("T1", "chat.postMessage") == 47.0
    assert paces.recall("T2", "chat.postMessage") == 9.5
    assert paces.recall("T1", "chat.update") is None
    later = PaceService(sessions, clock=lambda: now + timedelta(days=8))
    assert later.recall("T1", "chat.postMessage") is None, "a week-old pace may no longer hold"
