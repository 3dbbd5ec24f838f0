"""Who may do what, decided in one place from the server's own records.

Admins of a workspace are:
- the user who installed persona-bot in it (OAuth mode: the installation store's record of the install);
- Slack's own admins and owners of that workspace (`users.info` `is_admin` / `is_owner`, looked up through
  `SlackRoles`, which caches answers for `ADMIN_ROLE_CACHE_SECONDS`);
- in single-workspace mode only, the users listed in `PERSONA_BOT_ADMINS` (one list can't name the admins of
  many workspaces: in OAuth mode it is ignored, so an admin of one workspace has no rights in another).

Persona owners may edit (and answer the review of) their own personas; managers on the roster may ask for the
report and the check-in status. `Access` never runs inside another transaction: a role lookup may call Slack, so
services ask before they open their own.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Protocol

from sqlalchemy.orm import Session, sessionmaker

from bot.config import Settings
from persona_store.installations import installers
from persona_store.models import utcnow
from persona_store.roster import is_manager
from persona_store.workspaces import ensure_workspace

log = logging.getLogger("persona_bot.access")


class SlackRoles(Protocol):
    """Slack's own view of a member: True for a workspace admin or owner, False otherwise (or when unknown)."""

    def is_workspace_admin(self, team_id: str, user_id: str) -> bool: ...


class Access:
    def __init__(self, sessions: sessionmaker[Session], settings: Settings, roles: SlackRoles | None = None) -> None:
        self._sessions = sessions
        self._settings = settings
        self._roles = roles

    def is_admin(self, team_id: str, user_id: str) -> bool:
        """A persona-bot admin of `team_id` (see the module docstring)."""
        if not team_id or not user_id:
            return False
        if not self._settings.oauth_enabled and user_id in self._settings.admins:
            return True
        if self._settings.oauth_enabled:
            with self._sessions.begin() as s:
                if user_id in installers(s, team_id):
                    return True
        return self._roles is not None and self._roles.is_workspace_admin(team_id, user_id)

    def may_edit(self, team_id: str, user_id: str, owner: str | None, *, admin: bool | None = None) -> bool:
        """Admins may create and edit any persona; an owner may edit their own. `admin` if already known."""
        if owner and owner == user_id:
            return True
        return self.is_admin(team_id, user_id) if admin is None else admin

    def is_manager_or_admin(self, team_id: str, user_id: str) -> bool:
        """Managers on this workspace's roster, and its admins: the report and the check-in status."""
        with self._sessions.begin() as s:
            if is_manager(s, ensure_workspace(s, team_id).id, user_id):
                return True
        return self.is_admin(team_id, user_id)


__all__ = ["Access", "SlackRoles"]


class Service:
    """What a service holds: its transactions, the settings and who may do what (one `Access` shared or its own)."""

    def __init__(self, sessions: sessionmaker[Session], settings: Settings, access: Access | None = None) -> None:
        self._sessions = sessions
        self._settings = settings
        self._access = access or Access(sessions, settings)


class ClockedService(Service):
    """A service that also tells the time: `clock` (UTC now unless a test gives its own)."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        settings: Settings,
        clock: Callable[[], datetime] = utcnow,
        access: Access | None = None,
    ) -> None:
        super().__init__(sessions, settings, access)
        self._clock = clock
