"""Workspaces: every other row hangs off one. Created on first sight of a team, never duplicated."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from persona_store.db import insert_ignore
from persona_store.models import Workspace, utcnow


def ensure_workspace(session: Session, team_id: str, name: str | None = None) -> Workspace:
    """The workspace for `team_id`, created if needed (safe when two requests race to create it).

    Read first: the insert runs only for a workspace not seen yet, so the many callers that only read (a lookup,
    the clock's steps) don't turn their transaction into a write (on SQLite, the one write lock)."""
    query = select(Workspace).where(Workspace.team_id == team_id)
    workspace = session.scalars(query).one_or_none()
    if workspace is None:
        session.execute(insert_ignore(session, Workspace).values(team_id=team_id, name=name, created_at=utcnow()))
        workspace = session.scalars(query).one()
    if name and workspace.name != name:
        workspace.name = name
    return workspace


def find_workspace(session: Session, team_id: str) -> Workspace | None:
    return session.scalars(select(Workspace).where(Workspace.team_id == team_id)).one_or_none()


def list_workspaces(session: Session, include_uninstalled: bool = False) -> list[Workspace]:
    query = select(Workspace).order_by(Workspace.id)
    if not include_uninstalled:
        query = query.where(Workspace.uninstalled_at.is_(None))
    return list(session.scalars(query))
