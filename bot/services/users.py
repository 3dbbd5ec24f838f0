"""One person's records: everything about them, or their removal (the command line's `export-user`, `delete-user`)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from persona_store.users import DeleteSummary, delete_user, export_user
from persona_store.workspaces import ensure_workspace


class UserDataService:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    def export(self, team_id: str, user_id: str) -> dict[str, Any]:
        """Every record about `user_id` in the workspace; UserNotFound when nothing is on record."""
        with self._sessions.begin() as s:
            return export_user(s, ensure_workspace(s, team_id).id, user_id)

    def delete(self, team_id: str, user_id: str, *, erase_text: bool = False) -> DeleteSummary:
        """Roster row gone, their records anonymised so every aggregate stays as it was; UserNotFound as above."""
        with self._sessions.begin() as s:
            return delete_user(s, ensure_workspace(s, team_id).id, user_id, erase_text=erase_text)
