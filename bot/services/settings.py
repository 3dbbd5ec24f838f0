"""Workspace settings (`/persona settings`): read with the environment's defaults, saved with a change log."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.services.access import ClockedService
from persona_store.workspace_settings import (
    WorkspaceSettings,
    load_settings,
    save_settings,
    settings_history,
)
from persona_store.workspaces import ensure_workspace

__all__ = ["SettingsChangeInfo", "SettingsService"]


@dataclass(frozen=True)
class SettingsChangeInfo:
    field: str
    before: str
    after: str
    changed_by: str
    changed_at: datetime


class SettingsService(ClockedService):
    def may_change(self, team_id: str, user_id: str) -> bool:
        """Who may change the workspace's settings: persona-bot admins."""
        return self._access.is_admin(team_id, user_id)

    def defaults(self) -> WorkspaceSettings:
        return self._settings.workspace_defaults()

    def current(self, team_id: str) -> WorkspaceSettings:
        with self._sessions.begin() as s:
            return load_settings(s, ensure_workspace(s, team_id).id, self.defaults())

    def save(self, team_id: str, user_id: str, wanted: WorkspaceSettings) -> list[SettingsChangeInfo]:
        """Store the settings and record each change; SettingsInvalid (field -> reason) when they don't work."""
        with self._sessions.begin() as s:
            workspace = ensure_workspace(s, team_id)
            changes = save_settings(s, workspace.id, wanted, self.defaults(), user_id, self._clock())
            return [SettingsChangeInfo(c.field, c.before, c.after, c.changed_by, c.changed_at) for c in changes]

    def history(self, team_id: str, limit: int = 20) -> list[SettingsChangeInfo]:
        with self._sessions.begin() as s:
            workspace = ensure_workspace(s, team_id)
            return [
                SettingsChangeInfo(c.field, c.before, c.after, c.changed_by, c.changed_at)
                for c in settings_history(s, workspace.id, limit)
            ]
