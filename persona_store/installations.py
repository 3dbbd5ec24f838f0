"""A workspace's install state: installed (again) through OAuth, or uninstalled (nothing more is sent to it)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from persona_store.models import Workspace, slack_bots, slack_installations, utcnow
from persona_store.workspaces import ensure_workspace


def record_install(session: Session, team_id: str, name: str | None = None) -> Workspace:
    """The workspace row for a fresh install; a reinstall after an uninstall makes it active again."""
    workspace = ensure_workspace(session, team_id, name)
    workspace.uninstalled_at = None
    return workspace


def record_uninstall(session: Session, team_id: str, now: datetime | None = None) -> bool:
    """Mark the workspace uninstalled; True the first time (Slack retries events, so this must be idempotent)."""
    ensure_workspace(session, team_id)
    result = session.execute(
        update(Workspace)
        .where(Workspace.team_id == team_id, Workspace.uninstalled_at.is_(None))
        .values(uninstalled_at=now or utcnow())
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0))


def is_uninstalled(session: Session, team_id: str) -> bool:
    uninstalled_at = session.scalar(select(Workspace.uninstalled_at).where(Workspace.team_id == team_id))
    return uninstalled_at is not None


def forget_tokens(session: Session, team_id: str) -> None:
    """Delete every stored token of the workspace (the installation store's rows), whatever app they were for."""
    session.execute(delete(slack_bots).where(slack_bots.c.team_id == team_id))
    session.execute(delete(slack_installations).where(slack_installations.c.team_id == team_id))


def installed_team_ids(session: Session, client_id: str) -> list[str]:
    """Teams with a stored bot token for this app whose workspace is not marked uninstalled."""
    query = (
        select(slack_bots.c.team_id)
        .distinct()
        .outerjoin(Workspace, Workspace.team_id == slack_bots.c.team_id)
        .where(
            slack_bots.c.client_id == client_id,
            slack_bots.c.team_id.is_not(None),
            slack_bots.c.bot_token.is_not(None),
            Workspace.uninstalled_at.is_(None),
        )
        .order_by(slack_bots.c.team_id)
    )
    return [str(team) for team in session.scalars(query)]


def installers(session: Session, team_id: str) -> set[str]:
    """The Slack users who installed the app in this workspace (kept by the installation store)."""
    query = select(slack_installations.c.user_id).where(
        slack_installations.c.team_id == team_id, slack_installations.c.user_id.is_not(None)
    )
    return {str(user) for user in session.scalars(query)}
