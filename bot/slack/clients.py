"""Web API clients for work that does not start from a Slack request (the clock, the CLI): one per workspace."""

from __future__ import annotations

import threading

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry import ConnectionErrorRetryHandler, RateLimitErrorRetryHandler
from slack_sdk.http_retry.builtin_handlers import ServerErrorRetryHandler
from sqlalchemy.orm import Session, sessionmaker

from bot.config import Settings
from persona_store.installations import is_uninstalled, record_install


def make_web_client(settings: Settings, token: str | None = None) -> WebClient:
    """A Web API client with Slack's retry handlers: 429 honours Retry-After, connection and 5xx errors retry."""
    return WebClient(
        token=token or settings.slack_bot_token,
        base_url=settings.slack_api_url,
        timeout=10,
        retry_handlers=[
            ConnectionErrorRetryHandler(max_retry_count=2),
            RateLimitErrorRetryHandler(max_retry_count=5),
            ServerErrorRetryHandler(max_retry_count=2),
        ],
    )


class SlackUnavailable(RuntimeError):
    """No usable token for a workspace (not installed, uninstalled, or the token was refused)."""


class SlackClients:
    """Single-workspace mode: the bot token serves its own team. (OAuth mode extends this with the installation store.)

    Clients are created lazily and cached; they carry Slack's retry handlers (`make_web_client`).
    """

    def __init__(self, settings: Settings, sessions: sessionmaker[Session] | None = None) -> None:
        self._settings = settings
        self._sessions = sessions  # when given, a workspace marked uninstalled is refused
        self._lock = threading.Lock()
        self._client: WebClient | None = None
        self._team_id: str | None = settings.slack_team_id

    def _single(self) -> WebClient:
        with self._lock:
            if self._client is None:
                if not self._settings.slack_bot_token:
                    raise SlackUnavailable("SLACK_BOT_TOKEN is not set")
                self._client = make_web_client(self._settings)
            return self._client

    def team_ids(self) -> list[str]:
        """The workspaces this process may message."""
        if self._team_id is None:
            try:
                self._team_id = str(self._single().auth_test()["team_id"])
            except SlackApiError as error:
                raise SlackUnavailable(f"Slack refused the bot token ({error.response.get('error')})") from None
        if self._uninstalled_and_not_back(self._team_id):
            return []
        return [self._team_id]

    def for_team(self, team_id: str) -> WebClient:
        """The client for `team_id`; raises SlackUnavailable when this process has no token for it."""
        if team_id not in self.team_ids():
            if team_id == self._team_id:
                raise SlackUnavailable(f"persona-bot was uninstalled from workspace {team_id}")
            raise SlackUnavailable(f"no token for workspace {team_id}")
        return self._single()

    def _uninstalled_and_not_back(self, team_id: str) -> bool:
        """Marked uninstalled, unless Slack accepts the configured token again (an admin reinstalled the app).

        After an uninstall Slack revokes the old token, so `auth.test` fails and the workspace stays refused; a
        reinstall brings a new SLACK_BOT_TOKEN, which Slack accepts, and the workspace is active again.
        """
        if self._sessions is None:
            return False
        with self._sessions.begin() as s:
            if not is_uninstalled(s, team_id):
                return False
        try:
            back = str(self._single().auth_test()["team_id"]) == team_id
        except SlackApiError:
            return True
        if back:
            with self._sessions.begin() as s:
                record_install(s, team_id)
        return not back

    def _sessions_or_fail(self) -> sessionmaker[Session]:
        if self._sessions is None:
            raise SlackUnavailable("no database to look installed workspaces up in")
        return self._sessions

    def _refuse_uninstalled(self, team_id: str) -> None:
        if self._sessions is None:
            return
        with self._sessions.begin() as s:
            if is_uninstalled(s, team_id):
                raise SlackUnavailable(f"persona-bot was uninstalled from workspace {team_id}")
