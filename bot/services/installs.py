"""Install and uninstall: which workspaces persona-bot may message. No Slack calls."""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from persona_store.installations import forget_tokens, is_uninstalled, record_uninstall


class InstallService:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    def uninstalled(self, team_id: str) -> bool:
        """The app was uninstalled or its bot token revoked: stop messaging the workspace and drop its tokens.

        Idempotent (Slack retries events); True only the first time.
        """
        with self._sessions.begin() as s:
            first = record_uninstall(s, team_id)
            forget_tokens(s, team_id)
            return first

    def is_uninstalled(self, team_id: str) -> bool:
        with self._sessions.begin() as s:
            return is_uninstalled(s, team_id)
