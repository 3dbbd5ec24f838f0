"""Slack's own admins and owners: `users.info` `is_admin` / `is_owner`, cached per (workspace, user).

A role changes rarely, and an admin decision is asked on many requests: the answer is kept for
`ADMIN_ROLE_CACHE_SECONDS` (default 300), a failed lookup for a few seconds only (Slack down must not make
anyone an admin, and must not hide a real admin for long). The cache is per process and bounded.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

log = logging.getLogger("persona_bot.slack.roles")

FAILED_LOOKUP_SECONDS = 10.0
MAX_ENTRIES = 10_000


class SlackRoleCache:
    """`bot.services.access.SlackRoles` over the Web API; `client_for(team_id)` gives that workspace's client."""

    def __init__(
        self,
        client_for: Callable[[str], WebClient],
        ttl_seconds: float = 300.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client_for = client_for
        self._ttl = ttl_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._known: OrderedDict[tuple[str, str], tuple[bool, float]] = OrderedDict()

    def is_workspace_admin(self, team_id: str, user_id: str) -> bool:
        key = (team_id, user_id)
        now = self._clock()
        with self._lock:
            found = self._known.get(key)
            if found is not None and found[1] > now:
                return found[0]
        answer, keep = self._look_up(team_id, user_id)
        with self._lock:
            self._known[key] = (answer, now + keep)
            self._known.move_to_end(key)
            while len(self._known) > MAX_ENTRIES:
                self._known.popitem(last=False)
        return answer

    def _look_up(self, team_id: str, user_id: str) -> tuple[bool, float]:
        try:
            user = self._client_for(team_id).users_info(user=user_id)["user"]
        except SlackApiError as error:
            reason = error.response.get("error")
            if reason in ("user_not_found", "user_not_visible"):
                return False, self._ttl
            log.warning("admin role unknown: users.info failed (%s)", reason, extra={"team_id": team_id})
            return False, FAILED_LOOKUP_SECONDS
        except (SlackClientError, OSError, RuntimeError) as error:  # no client for the workspace, or no connection
            log.warning("admin role unknown: %s", type(error).__name__, extra={"team_id": team_id})
            return False, FAILED_LOOKUP_SECONDS
        if not isinstance(user, dict) or user.get("deleted") or str(user.get("team_id") or team_id) != team_id:
            return False, self._ttl
        return bool(user.get("is_admin") or user.get("is_owner") or user.get("is_primary_owner")), self._ttl


__all__ = ["SlackRoleCache"]
